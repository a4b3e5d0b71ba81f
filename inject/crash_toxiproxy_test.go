package inject_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
)

// toxiInventory writes an inventory whose host cache-1 goes through the
// bed's proxy "cache" on the server "staging".
func toxiInventory(t *testing.T, b *inject.ToxiBed) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	inv := fmt.Sprintf("toxiproxy:\n  - name: staging\n    api: %s\nhosts:\n  - name: cache-1\n    toxiproxy: {server: staging, proxy: cache}\n", b.API)
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// guardsRunning lists the TTL guards of these faults still running on
// this machine (a Toxiproxy host's guard runs here).
func guardsRunning(ids []string) []string {
	var found []string
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		c, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(c), "\x00", " ")
		for _, id := range ids {
			if strings.Contains(cmd, " guard "+id+"-") {
				found = append(found, cmd)
			}
		}
	}
	return found
}

// guardsGone waits for the guards of these faults to end (a cancelled
// guard is signalled, not waited for) and returns those that do not: a
// guard left behind sleeps out its TTL of a minute, far past this bound.
func guardsGone(ids []string) []string {
	deadline := time.Now().Add(15 * time.Second)
	for {
		gs := guardsRunning(ids)
		if len(gs) == 0 || time.Now().After(deadline) {
			return gs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ledgerRecords loads the test's ledger.
func ledgerRecords(t *testing.T, g *gamedayCLI) []*inject.Record {
	t.Helper()
	l, err := inject.OpenLedger(filepath.Join(envValue(g.env, "XDG_STATE_HOME"), "gameday", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestToxiproxyCrashMatrix SIGKILLs `gameday inject` at every checkpoint
// of arming and `gameday revert --all` at every checkpoint of reverting a
// fault that goes through a real Toxiproxy server, and after each crash
// runs `gameday revert --all`: the server's GET /proxies must be byte for
// byte what it was (the user's own toxic included), no guard left running,
// nothing active in the ledger. Then gameday is killed right after an arm
// and nobody reverts: the guard on this machine removes the toxic at TTL,
// and the ledger says expired only once gameday has read the guard's
// verified outcome.
func TestToxiproxyCrashMatrix(t *testing.T) {
	b := inject.NewToxiBed(t)
	invPath := toxiInventory(t, b)
	g := &gamedayCLI{t: t, bin: buildGameday(t), env: append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())}
	before := b.Proxies(t)
	revertAll := []string{"revert", "--all", "-i", invPath}
	var armPoints, revertPoints, dirty int
	settle := func(label string) {
		t.Helper()
		if b.Proxies(t) != before {
			dirty++ // the crash left a fault behind for revert --all
		}
		if _, out, err := g.run(0, revertAll...); err != nil {
			t.Fatalf("%s: gameday revert --all: %v\n%s", label, err, out)
		}
		if got := b.Proxies(t); got != before {
			t.Fatalf("%s: the server's proxies differ after revert --all:\nbefore:\n%s\nafter:\n%s", label, before, got)
		}
		var ids []string
		for _, r := range ledgerRecords(t, g) {
			ids = append(ids, r.ID)
			if r.Active() {
				t.Fatalf("%s: the ledger still lists fault %s as %s", label, r.ID, r.State)
			}
		}
		if gs := guardsGone(ids); len(gs) > 0 {
			t.Fatalf("%s: a TTL guard still runs after revert --all: %s", label, gs)
		}
	}
	for _, c := range []struct {
		kind   string
		params []string
	}{
		{"latency", []string{"--param", "delay=300ms"}},
		{"partition", nil},
	} {
		arm := append([]string{"inject", c.kind, "--host", "cache-1", "--ttl", guardTTL.String(), "-i", invPath}, c.params...)
		// crashAll runs args with a crash at checkpoint 1, 2, … until a
		// run ends by itself, settling after each; before, if set, runs
		// first each time.
		crashAll := func(what string, before []string, args []string) (points int) {
			for n := 1; ; n++ {
				if before != nil {
					if _, out, err := g.run(0, before...); err != nil {
						t.Fatalf("%s: arm: %v\n%s", c.kind, err, out)
					}
				}
				killed, out, err := g.run(n, args...)
				if !killed {
					if err != nil {
						t.Fatalf("%s: %s with crash point %d: %v\n%s", c.kind, what, n, err, out)
					}
					settle(c.kind + ": " + what + " ran to its end")
					return points
				}
				points++
				settle(c.kind + ": killed at " + what + " checkpoint " + strconv.Itoa(n))
			}
		}
		armPoints += crashAll("arm", nil, arm)
		revertPoints += crashAll("revert", arm, revertAll)
	}
	t.Logf("toxiproxy crash matrix: %d arm and %d revert checkpoints crashed at, %d of them left a fault for revert --all", armPoints, revertPoints, dirty)
	if armPoints == 0 || revertPoints == 0 || dirty == 0 {
		t.Fatalf("the matrix exercised nothing: no crash point, or none left a fault behind")
	}

	t.Run("kill -9 after arm, the local guard reverts at TTL", func(t *testing.T) {
		const ttl = 3 * time.Second
		arm := []string{"inject", "latency", "--host", "cache-1", "--param", "delay=300ms", "--ttl", ttl.String(), "-i", invPath}
		// Count the arm's checkpoints on a run to its end, then kill at the
		// last one, after its last verify: the fault is in place, and
		// gameday dies before it can say so.
		n := 0
		for k := 1; ; k++ {
			killed, _, _ := g.run(k, arm...)
			if !killed {
				break
			}
			n = k
			settle("counting checkpoints")
		}
		if _, out, err := g.run(0, revertAll...); err != nil {
			t.Fatalf("revert --all: %v\n%s", err, out)
		}
		killed, out, _ := g.run(n, arm...)
		if !killed {
			t.Fatalf("gameday was not killed at its last arm checkpoint %d:\n%s", n, out)
		}
		armed := b.Proxies(t)
		if !strings.Contains(armed, `-latency"`) {
			t.Fatalf("killed after the arm's last checkpoint, but no gameday toxic on the server:\n%s", armed)
		}
		var last *inject.Record
		for _, r := range ledgerRecords(t, g) {
			if r.Active() {
				last = r
			}
		}
		if last == nil {
			t.Fatalf("after the kill the ledger holds no active fault, want the one being armed (not expired: no guard has fired)")
		}
		// Nobody runs gameday now: only the guard can remove the toxic.
		deadline := time.Now().Add(ttl + 60*time.Second)
		for b.Proxies(t) != before {
			if time.Now().After(deadline) {
				t.Fatalf("the guard did not revert: the server's proxies are still\n%s", b.Proxies(t))
			}
			time.Sleep(200 * time.Millisecond)
		}
		// The ledger learns it from the guard's marker, read by the next
		// gameday (faults reconciles).
		if _, out, err := g.run(0, "faults", "--all"); err != nil || !strings.Contains(out, "expired") {
			t.Fatalf("gameday faults --all: %v\n%s\nwant the fault expired", err, out)
		}
		for _, r := range ledgerRecords(t, g) {
			if r.ID == last.ID && r.State != inject.StateExpired {
				t.Errorf("fault %s is %s after its guard verified the revert, want expired", r.ID, r.State)
			}
		}
		if gs := guardsGone([]string{last.ID}); len(gs) > 0 {
			t.Errorf("the guard still runs after it fired: %s", gs)
		}
	})
}

// TestToxiproxyUnknownProxyIsBadInput: an inventory naming a proxy the
// real server does not have stops `gameday inject` (and its dry run)
// with one line that says where — file:line:col of the host's proxy —
// and which proxies the server has, exit 2, nothing in the ledger and
// nothing on the server.
func TestToxiproxyUnknownProxyIsBadInput(t *testing.T) {
	b := inject.NewToxiBed(t)
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	inv := fmt.Sprintf("toxiproxy:\n  - name: staging\n    api: %s\nhosts:\n  - name: cache-1\n    toxiproxy: {server: staging, proxy: cahce}\n", b.API)
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &gamedayCLI{t: t, bin: buildGameday(t), env: append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())}
	before := b.Proxies(t)
	want := path + `:6:41: hosts[0].toxiproxy.proxy: Toxiproxy server staging at ` + b.API + `: the server has no proxy "cahce"; did you mean "cache"? (its proxies: cache)`
	for _, dry := range []bool{true, false} {
		args := []string{"inject", "latency", "--host", "cache-1", "--param", "delay=100ms", "-i", path}
		if dry {
			args = append(args, "--dry-run")
		}
		_, out, err := g.run(0, args...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || strings.TrimSpace(out) != "gameday: "+want {
			t.Errorf("dry run %v: %v, output:\n%s\nwant exit 2 and\ngameday: %s", dry, err, out, want)
		}
	}
	if recs := ledgerRecords(t, g); len(recs) != 0 {
		t.Errorf("the ledger holds %d faults, want none", len(recs))
	}
	if got := b.Proxies(t); got != before {
		t.Errorf("the server changed:\n%s\nwant\n%s", got, before)
	}
}
