package inject_test

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
)

// crashCase is one kind, as the crash matrix arms it over SSH.
type crashCase struct {
	name   string
	host   int // index of the bed host
	kind   string
	params map[string]string
	// refused: the kind cannot run here and must be refused, changing
	// nothing (there are then no revert checkpoints).
	refused string
	// state returns what the kind touches beyond the snapshot (a process,
	// a file, free space), for the before/after comparison.
	state func() string
}

// crashTally counts what the matrix exercised, across its parallel groups.
type crashTally struct {
	points, armPoints, revertPoints, dirty, orphans atomic.Int64
}

// TestCrashMatrixOverSSH SIGKILLs `gameday inject` at every checkpoint of
// arming and `gameday revert --all` at every checkpoint of reverting, for
// every kind that can run on namespace hosts, and after each crash runs
// `gameday revert --all`: the host must be byte for byte its baseline
// (iptables, ip6tables, nft, tc, gameday's files, and what the kind
// touches), no guard process left, nothing active in the ledger. Kinds
// that cannot run here (stop: no systemd; latency: no sch_netem) must be
// refused without a trace, crash or not. One bed; the three hosts' cases
// run in parallel, each group with its own ledger.
func TestCrashMatrixOverSSH(t *testing.T) {
	bed := nshost.New(t, 3, nshost.Options{Redis: true})
	// host1 carries rules and a qdisc of its own, which must survive all.
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
	bin := buildGameday(t)
	h3 := bed.Hosts[2]

	// pause: a process of the host's, found by pidfile.
	paused := startCmd(t, "sleep", "7003")
	pidfile := filepath.Join(t.TempDir(), "paused.pid")
	os.WriteFile(pidfile, []byte(strconv.Itoa(paused.Process.Pid)+"\n"), 0o600)
	// kill: found by pattern, started again by the kind's start command.
	// The namespaces share the machine's PIDs, so the pattern must not
	// match gameday's own command line, which holds it.
	const pattern, command = `^sleep 700[2]\.5$`, "sleep 7002.5"
	startCmd(t, "sleep", "7002.5")
	t.Cleanup(func() { exec.Command("pkill", "-f", pattern).Run() })
	// disk-fill: an 8 MiB tmpfs in host3's own mount namespace.
	const fillDir = "/run/gdfill"
	for _, argv := range [][]string{{"mkdir", "-p", fillDir}, {"mount", "-t", "tmpfs", "-o", "size=8m", "gdfill", fillDir}} {
		if out, err := bed.ExecHost(h3, argv...); err != nil {
			t.Fatalf("%v: %v: %s", argv, err, out)
		}
	}
	// clock-drift: a libfaketime control file of a service of host3's.
	faketime := filepath.Join(t.TempDir(), "service.faketime")
	os.WriteFile(faketime, []byte("+0\n"), 0o600)

	procState := func(pid int) string {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
			return s[i+2 : i+3]
		}
		return "gone"
	}
	cases := []crashCase{
		{name: "partition full", host: 0, kind: "partition"},
		{name: "partition from a peer", host: 0, kind: "partition", params: map[string]string{"peers": "host2"}},
		{name: "partition one way", host: 0, kind: "partition", params: map[string]string{"direction": "out"}},
		// A flap's guard toggles on its own: a gameday killed anywhere
		// in the arm or the revert leaves a guard that revert --all must
		// stop, heal and remove.
		{name: "partition flap", host: 0, kind: "partition", params: map[string]string{"peers": "host2", "flap": "1s/1s"}},
		{name: "bandwidth", host: 1, kind: "bandwidth", params: map[string]string{"rate": "1mbit", "dev": "eth0"}},
		{name: "latency refused (no sch_netem)", host: 1, kind: "latency", refused: "sch_netem"},
		{name: "stop refused (no systemd)", host: 1, kind: "stop", params: map[string]string{"unit": "redis-server"}, refused: "systemd"},
		{name: "pause", host: 2, kind: "pause", params: map[string]string{"pidfile": pidfile},
			state: func() string {
				// A stopped process shows T; running or sleeping is the same.
				if st := procState(paused.Process.Pid); st == "T" {
					return "stopped"
				}
				return "running"
			}},
		{name: "kill", host: 2, kind: "kill", params: map[string]string{"pattern": pattern, "start": "exec " + command},
			state: func() string {
				out, _ := exec.Command("pgrep", "-c", "-f", pattern).Output()
				return "processes " + strings.TrimSpace(string(out))
			}},
		{name: "disk-fill", host: 2, kind: "disk-fill", params: map[string]string{"path": fillDir, "free": "1MiB"},
			state: func() string {
				out, _ := bed.ExecHost(h3, "sh", "-c", "ls -A "+fillDir+"; stat -f -c %a "+fillDir)
				return out
			}},
		{name: "clock-drift via libfaketime", host: 2, kind: "clock-drift", params: map[string]string{"offset": "-90s", "faketime_file": faketime},
			state: func() string { b, _ := os.ReadFile(faketime); return string(b) }},
	}
	var tally crashTally
	for h := range bed.Hosts {
		t.Run(bed.Hosts[h].Name, func(t *testing.T) {
			t.Parallel()
			g := &gamedayCLI{t: t, bin: bin, env: append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())}
			for _, c := range cases {
				if c.host == h {
					t.Run(c.name, func(t *testing.T) { crashEveryCheckpoint(t, bed, g, invPath, c, &tally) })
				}
			}
		})
	}
	t.Cleanup(func() {
		t.Logf("crash matrix: %d kinds, %d arm and %d revert checkpoints crashed at, %d crash points settled by revert --all in all, %d of them with a fault left in place, %d orphans",
			len(cases), tally.armPoints.Load(), tally.revertPoints.Load(), tally.points.Load(), tally.dirty.Load(), tally.orphans.Load())
		if tally.armPoints.Load() == 0 || tally.revertPoints.Load() == 0 || tally.dirty.Load() == 0 {
			t.Errorf("the matrix exercised nothing: no crash point, or none left a fault behind")
		}
	})
}

// crashEveryCheckpoint runs one case of the matrix.
func crashEveryCheckpoint(t *testing.T, bed *nshost.Bed, g *gamedayCLI, invPath string, c crashCase, tally *crashTally) {
	h := bed.Hosts[c.host]
	state := func() string {
		s := bed.Snapshot(h)
		if c.state != nil {
			s += "$ the kind's own state\n" + c.state() + "\n"
		}
		return s
	}
	before := state()
	arm := []string{"inject", c.kind, "--host", h.Name, "--ttl", guardTTL.String(), "-i", invPath}
	for k, v := range c.params {
		arm = append(arm, "--param", k+"="+v)
	}
	revertAll := []string{"revert", "--all", "-i", invPath}
	ledger := filepath.Join(envValue(g.env, "XDG_STATE_HOME"), "gameday", "ledger.jsonl")

	settle := func(label string) {
		t.Helper()
		tally.points.Add(1)
		if state() != before {
			tally.dirty.Add(1) // the crash left a fault behind for revert --all
		}
		if _, out, err := g.run(0, revertAll...); err != nil {
			tally.orphans.Add(1)
			t.Fatalf("%s: gameday revert --all: %v\n%s", label, err, out)
		}
		if got := state(); got != before {
			tally.orphans.Add(1)
			t.Fatalf("%s: %s differs from its baseline after revert --all:\nbefore:\n%s\nafter:\n%s", label, h.Name, before, got)
		}
		for _, cmd := range bed.Cmdlines(h) {
			if strings.Contains(cmd, "gameday-guard") || cmd == guardSleep {
				tally.orphans.Add(1)
				t.Fatalf("%s: a TTL guard still runs on %s after revert --all: %s", label, h.Name, cmd)
			}
		}
		l, err := inject.OpenLedger(ledger)
		if err != nil {
			t.Fatalf("%s: ledger: %v", label, err)
		}
		recs, err := l.Load()
		if err != nil {
			t.Fatalf("%s: ledger: %v", label, err)
		}
		for _, r := range recs {
			if r.Active() {
				tally.orphans.Add(1)
				t.Fatalf("%s: the ledger still lists fault %s as %s", label, r.ID, r.State)
			}
		}
	}

	var armTook, revertTook time.Duration
	for n := 1; ; n++ {
		start := time.Now()
		killed, out, err := g.run(n, arm...)
		if !killed {
			armTook = time.Since(start)
			switch {
			case c.refused != "" && (err == nil || !strings.Contains(out, c.refused)):
				t.Fatalf("arm of %s: %v, want a refusal naming %q:\n%s", c.kind, err, c.refused, out)
			case c.refused == "" && err != nil:
				t.Fatalf("arm with crash point %d: %v\n%s", n, err, out)
			}
			settle("arm ran to its end")
			break
		}
		tally.armPoints.Add(1)
		settle("killed at arm checkpoint " + strconv.Itoa(n))
	}
	if c.refused != "" {
		return
	}
	for n := 1; ; n++ {
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
			settle("revert ran to its end")
			break
		}
		tally.revertPoints.Add(1)
		settle("killed at revert checkpoint " + strconv.Itoa(n))
	}
	if c.name != "partition full" {
		return
	}
	// kill -9 from outside at random moments of an arm and of a revert.
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("random kill delays from seed %d; an arm takes %s, a revert %s", seed, armTook, revertTook)
	killDuring := func(took time.Duration, args ...string) time.Duration {
		delay := time.Duration(rng.Int64N(int64(took) + 1))
		cmd, _ := g.start(0, args...)
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		return delay
	}
	for i := 0; i < 4; i++ {
		settle("kill -9 " + killDuring(armTook, arm...).String() + " into an arm")
	}
	for i := 0; i < 4; i++ {
		if _, out, err := g.run(0, arm...); err != nil {
			t.Fatalf("arm: %v\n%s", err, out)
		}
		settle("kill -9 " + killDuring(revertTook, revertAll...).String() + " into a revert")
	}
}

// envValue returns the value of key in env ("" if absent).
func envValue(env []string, key string) string {
	v := ""
	for _, e := range env {
		if k, val, ok := strings.Cut(e, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// startCmd starts argv and kills it at cleanup.
func startCmd(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}
