package inject_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
)

// gamedayCLI runs the real gameday binary with an isolated state directory
// (so the ledger is the test's own).
type gamedayCLI struct {
	t   *testing.T
	bin string
	env []string
}

func buildGameday(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gameday")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/gameday-dev/gameday/cmd/gameday")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build gameday: %v\n%s", err, out)
	}
	return bin
}

// start starts gameday with args; crashpoint > 0 makes it SIGKILL itself at
// that checkpoint.
func (g *gamedayCLI) start(crashpoint int, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(g.bin, args...)
	cmd.Env = g.env
	if crashpoint > 0 {
		cmd.Env = append(cmd.Env, inject.CrashpointEnv+"="+strconv.Itoa(crashpoint))
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start gameday: %v", err)
	}
	return cmd, &out
}

// run runs gameday to its end and tells whether it was SIGKILLed.
func (g *gamedayCLI) run(crashpoint int, args ...string) (killed bool, out string, err error) {
	cmd, buf := g.start(crashpoint, args...)
	err = cmd.Wait()
	return wasKilled(err), buf.String(), err
}

func wasKilled(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws, ok := ee.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	}
	return false
}

// TestCrashAnywhereThenRevertAllLeavesHostsAsTheyWere kills gameday at
// every checkpoint of arming and of reverting, and at random moments, and
// checks after each that `gameday revert --all` restores every host exactly and leaves nothing active.
func TestCrashAnywhereThenRevertAllLeavesHostsAsTheyWere(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{})
	// The hosts' own rules and qdiscs, which must survive everything.
	for _, argv := range [][]string{
		{"iptables", "-N", "SITE-POLICY"},
		{"iptables", "-A", "SITE-POLICY", "-p", "tcp", "--dport", "9999", "-j", "DROP"},
		{"iptables", "-A", "INPUT", "-j", "SITE-POLICY"},
		{"iptables", "-A", "OUTPUT", "-d", "203.0.113.0/24", "-j", "DROP"},
		{"tc", "qdisc", "add", "dev", "eth0", "root", "pfifo", "limit", "300"},
	} {
		bed.Exec(bed.Hosts[0], argv...)
	}
	invPath := bed.WriteInventory()
	state := t.TempDir()
	g := &gamedayCLI{t: t, bin: buildGameday(t), env: append(os.Environ(), "XDG_STATE_HOME="+state)}
	ledgerPath := filepath.Join(state, "gameday", "ledger.jsonl")
	before := map[string]string{}
	for _, h := range bed.Hosts {
		before[h.Name] = bed.Snapshot(h)
	}
	arm := []string{"inject", "partition", "--host", "host1,host2", "--param", "peers=192.0.2.10", "--ttl", "60s", "-i", invPath}
	revertAll := []string{"revert", "--all", "-i", invPath}

	points, dirty := 0, 0
	settle := func(label string) {
		t.Helper()
		points++
		for _, h := range bed.Hosts {
			if hasGamedayRules(bed, h) {
				dirty++ // the crash left a fault behind for revert --all
				break
			}
		}
		if _, out, err := g.run(0, revertAll...); err != nil {
			t.Fatalf("%s: gameday revert --all: %v\n%s", label, err, out)
		}
		for _, h := range bed.Hosts {
			if got := bed.Snapshot(h); got != before[h.Name] {
				t.Fatalf("%s: %s differs from its pre-test state:\nbefore:\n%s\nafter:\n%s", label, h.Name, before[h.Name], got)
			}
			for _, c := range bed.Cmdlines(h) {
				if strings.Contains(c, "gameday-guard") {
					t.Errorf("%s: a TTL guard still runs on %s after revert --all: %s", label, h.Name, c)
				}
			}
		}
		l, err := inject.OpenLedger(ledgerPath)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return
			}
			t.Fatalf("%s: ledger: %v", label, err)
		}
		recs, err := l.Load()
		if err != nil {
			t.Fatalf("%s: ledger: %v", label, err)
		}
		for _, r := range recs {
			if r.Active() {
				t.Fatalf("%s: the ledger still lists fault %s as %s", label, r.ID, r.State)
			}
		}
	}

	// Every checkpoint of arming, until an arm runs past the last one.
	armPoints := 0
	var armTook, revertTook time.Duration
	for n := 1; n < 100; n++ {
		start := time.Now()
		killed, out, err := g.run(n, arm...)
		if !killed {
			armTook = time.Since(start)
			if err != nil {
				t.Fatalf("arm with crash point %d: %v\n%s", n, err, out)
			}
			settle("arm ran to its end")
			break
		}
		armPoints++
		settle("killed at arm checkpoint " + strconv.Itoa(n))
	}
	// Every checkpoint of reverting an armed fault.
	revertPoints := 0
	for n := 1; n < 100; n++ {
		if _, out, err := g.run(0, arm...); err != nil {
			t.Fatalf("arm: %v\n%s", err, out)
		}
		start := time.Now()
		killed, out, err := g.run(n, revertAll...)
		if !killed {
			revertTook = time.Since(start)
			if err != nil {
				t.Fatalf("revert with crash point %d: %v\n%s", n, err, out)
			}
			break
		}
		revertPoints++
		settle("killed at revert checkpoint " + strconv.Itoa(n))
	}
	// kill -9 from outside at random moments within an arm's and a
	// revert's usual duration.
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("random kill delays from seed %d; a whole arm takes %s, a revert %s", seed, armTook, revertTook)
	killDuring := func(took time.Duration, args ...string) time.Duration {
		delay := time.Duration(rng.Int64N(int64(took) + 1))
		cmd, _ := g.start(0, args...)
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		return delay
	}
	for i := 0; i < 10; i++ {
		delay := killDuring(armTook, arm...)
		settle("kill -9 " + delay.String() + " into an arm")
	}
	for i := 0; i < 8; i++ {
		if _, out, err := g.run(0, arm...); err != nil {
			t.Fatalf("arm: %v\n%s", err, out)
		}
		delay := killDuring(revertTook, revertAll...)
		settle("kill -9 " + delay.String() + " into a revert")
	}
	t.Logf("%d arm checkpoints, %d revert checkpoints, %d settled points in all, %d with a fault left in place", armPoints, revertPoints, points, dirty)
	if dirty == 0 {
		t.Fatalf("no crash ever left a fault on a host: the test exercised nothing")
	}
	if armPoints == 0 || revertPoints == 0 {
		t.Fatalf("gameday never stopped at a checkpoint (%s not honoured?)", inject.CrashpointEnv)
	}
	if points < 20 {
		t.Fatalf("only %d crash points exercised; want at least 20", points)
	}
}
