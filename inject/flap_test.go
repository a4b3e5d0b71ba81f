package inject

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// flapGuard is a guard whose "fault" is a file: the kind's steps, the
// way the guard runs any kind's.
func flapGuard(t *testing.T, id string, ttl time.Duration) (Guard, string) {
	mark := filepath.Join(t.TempDir(), "cut")
	q := Quote(mark)
	return Guard{Fault: id, Host: "local", TTL: ttl, Flap: &Flap{Cut: time.Second, Heal: time.Second},
		Inject:     []Step{{Name: "make mark", Script: ": > " + q}},
		Verify:     []Step{{Name: "mark present", Script: "[ -f " + q + " ]"}},
		Revert:     []Step{{Name: "remove mark", Script: "rm -f " + q}},
		VerifyGone: []Step{{Name: "mark gone", Script: "[ ! -f " + q + " ]"}}}, mark
}

// runGuard starts g's body under shell as the guard's start step would,
// with the guard's tag in its command line.
func runGuard(t *testing.T, shell string, g Guard) <-chan struct{} {
	t.Helper()
	dir := t.TempDir()
	body := filepath.Join(dir, "guard.sh")
	if err := os.WriteFile(body, []byte(guardBody(g)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(shell, body, guardTag(g.Fault))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	// The start step records the guard's pid; the stop step needs it.
	run(t, shell, lines(statePrelude, `echo `+strconv.Itoa(cmd.Process.Pid)+` > `+stateFile(g.Fault, "guard")))
	t.Cleanup(func() { run(t, shell, lines(statePrelude, `rm -f "$d"/`+Quote(g.Fault)+`.*`)) })
	return done
}

func run(t *testing.T, shell, script string) string {
	t.Helper()
	out, err := exec.Command(shell, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", shell, err, out)
	}
	return string(out)
}

// readToggles reads the guard's log as the SSH executor does, locally.
func readToggles(t *testing.T, g Guard) []Toggle {
	t.Helper()
	ts, err := sshExecutor{runner: func() Runner { return LocalRunner{} }}.Toggles(context.Background(), targets.Host{Name: "local"}, g)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestFlapGuardTogglesStopsAndHealsUnderDashAndBash runs the guard's flap
// loop under both shells: it waits for the first cut as the arm does,
// alternates verified cuts and heals, stops on the stop step with the
// fault healed, and sleeps out its TTL as a plain guard.
func TestFlapGuardTogglesStopsAndHealsUnderDashAndBash(t *testing.T) {
	for _, shell := range shells {
		t.Run(filepath.Base(shell), func(t *testing.T) {
			g, mark := flapGuard(t, "flaptest-"+filepath.Base(shell)+"-"+strconv.Itoa(os.Getpid()), time.Minute)
			started, stop := sshExecutor{}.FlapSteps(g)
			runGuard(t, shell, g)
			run(t, shell, started.Script)
			if _, err := os.Stat(mark); err != nil {
				// The first cut may already be healed on a slow machine;
				// the log says whether it was verified.
				if ts := readToggles(t, g); len(ts) == 0 || ts[0].State != ToggleCut {
					t.Fatalf("started returned without a verified first cut: %+v", ts)
				}
			}
			for deadline := time.Now().Add(time.Minute); len(readToggles(t, g)) < 3; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("fewer than 3 toggles: %+v", readToggles(t, g))
				}
			}
			run(t, shell, stop.Script)
			ts := readToggles(t, g)
			for i, tg := range ts {
				want := ToggleCut
				if i%2 == 1 {
					want = ToggleHealed
				}
				if tg.N != i+1 || tg.State != want || tg.At.IsZero() {
					t.Fatalf("toggle %d = %+v, want %d %s with a time", i, tg, i+1, want)
				}
			}
			if ts[len(ts)-1].State != ToggleHealed {
				t.Errorf("the flap stopped on %+v, want a heal last", ts[len(ts)-1])
			}
			if _, err := os.Stat(mark); err == nil {
				t.Error("the flap stopped with the fault in place")
			}
			// Stopped: no toggle follows (the guard only waits now).
			n := len(ts)
			log := run(t, shell, lines(statePrelude, `cat `+stateFile(g.Fault, "flap")))
			if !strings.HasSuffix(log, "stopped\n") {
				t.Errorf("flap log does not end with stopped: %q", log)
			}
			run(t, shell, stop.Script) // stopping twice is fine
			if got := len(readToggles(t, g)); got != n {
				t.Errorf("%d toggles after the stop, want %d", got, n)
			}
		})
	}
}

// TestFlapGuardHealsAtTTLUnderDashAndBash: left alone (gameday gone), the
// guard flaps until its TTL, then heals and records its verified revert.
func TestFlapGuardHealsAtTTLUnderDashAndBash(t *testing.T) {
	for _, shell := range shells {
		t.Run(filepath.Base(shell), func(t *testing.T) {
			g, mark := flapGuard(t, "flapttl-"+filepath.Base(shell)+"-"+strconv.Itoa(os.Getpid()), 3*time.Second)
			<-runGuard(t, shell, g)
			if _, err := os.Stat(mark); err == nil {
				t.Error("the guard ended with the fault in place")
			}
			out := run(t, shell, guardOutcomeStep(g.Fault).Script)
			if o := parseGuardMarker(out); !o.Fired || !o.Verified {
				t.Errorf("guard outcome = %+v (%q), want fired and verified", o, out)
			}
			ts := readToggles(t, g)
			if len(ts) < 2 || ts[0].State != ToggleCut {
				t.Errorf("toggles = %+v, want a cut first and more", ts)
			}
		})
	}
}

// TestFlapGuardStopsOnAToggleThatDoesNotVerify: the second cut does not
// verify; the guard heals at once, logs the failure with the step and its
// error, and toggles no more — under both shells.
func TestFlapGuardStopsOnAToggleThatDoesNotVerify(t *testing.T) {
	for _, shell := range shells {
		t.Run(filepath.Base(shell), func(t *testing.T) {
			g, mark := flapGuard(t, "flapfail-"+filepath.Base(shell)+"-"+strconv.Itoa(os.Getpid()), time.Minute)
			count := Quote(filepath.Join(t.TempDir(), "cuts"))
			g.Inject = []Step{{Name: "make mark", Script: ": > " + Quote(mark) + "; echo x >> " + count}}
			g.Verify = []Step{{Name: "first cut only", Script: `[ "$(wc -l < ` + count + `)" -lt 2 ] || { echo "refused the second cut" >&2; exit 1; }`}}
			runGuard(t, shell, g)
			log := ""
			for deadline := time.Now().Add(time.Minute); !strings.HasSuffix(log, "stopped\n"); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the guard never stopped flapping: %q", log)
				}
				log = run(t, shell, lines(statePrelude, `cat `+stateFile(g.Fault, "flap")+` 2>/dev/null || :`))
			}
			ts := readToggles(t, g)
			if len(ts) != 3 || ts[0].State != ToggleCut || ts[1].State != ToggleHealed || ts[2].State != ToggleFailed ||
				ts[2].Why != "cut: verify first cut only: refused the second cut" {
				t.Fatalf("toggles = %+v, want cut, healed, then failed naming the verify step and its error", ts)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Error("the failed cut was left in place")
			}
		})
	}
}

// TestFlapRefusedWhereNoGuardToggles: a host whose executor's guard
// cannot toggle (a Toxiproxy proxy) refuses flap as bad input, before any
// host is asked; SSH hosts and lab nodes take it.
func TestFlapRefusedWhereNoGuardToggles(t *testing.T) {
	inv := &targets.Inventory{
		Toxiproxy: []targets.ToxiproxyServer{{Name: "staging", API: "http://127.0.0.1:8474"}},
		Hosts: []targets.Host{{Name: "cache-1", Toxiproxy: &targets.ToxiproxyProxy{Server: "staging", Proxy: "cache"}},
			{Name: "db1", Address: "10.0.0.1"}},
	}
	m, err := NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	req := Request{Kind: "partition", Hosts: []string{"cache-1"}, Params: map[string]string{"flap": "3s/2s"}}
	err = m.Validate(req)
	if err == nil || !strings.HasPrefix(err.Error(), "partition: param flap: host cache-1 is reached through the Toxiproxy server's API") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Validate = %v, want one sentence naming param flap and the host", err)
	}
	req.Hosts = []string{"db1"}
	if err := m.Validate(req); err != nil {
		t.Errorf("Validate on an SSH host: %v", err)
	}
}
