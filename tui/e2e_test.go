package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/tmuxtest"
)

var (
	masterRow  = regexp.MustCompile(`(?m)^.(ok|BREACH|error|pending)\s+sentinel\.master\s+\S+\s+(\S+)`)
	probeTitle = regexp.MustCompile(`Probes  (\d+) ok · (\d+) BREACH · (\d+) error · (\d+) pending`)
)

// master reads the agreed master from the Sentinel row.
func master(screen string) string {
	if m := masterRow.FindStringSubmatch(screen); m != nil {
		return m[2]
	}
	return ""
}

// TestEndToEndRedisFailoverDrill runs the real binary's `gameday lab` in
// tmux, waits for the probes to settle, arms kill on the Redis master with
// keystrokes only, and reads from the screen that the Sentinel row names a
// new master and the timeline shows the switch; after the revert and quit,
// it replays the journal (replayTheDrill).
func TestEndToEndRedisFailoverDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts the lab (-short skips it)")
	}
	for _, bin := range []string{"tmux", "redis-server", "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs it)", bin)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gameday-e2e")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/gameday").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	labDir, state := filepath.Join(dir, "lab"), filepath.Join(dir, "state")
	name := fmt.Sprintf("gameday-e2e-%d", os.Getpid())
	cmd := fmt.Sprintf("XDG_STATE_HOME=%s %s lab --dir %s 2>%s; echo GAMEDAY-EXITED $?; sleep 60", state, bin, labDir, filepath.Join(dir, "stderr"))
	s := tmuxtest.Start(t, name, cmd, 160, 48)
	t.Cleanup(func() {
		// Quit through the TUI so the lab stops itself, then make sure.
		if !strings.Contains(s.Capture(), "GAMEDAY-EXITED") {
			_ = exec.Command("tmux", "send-keys", "-t", name, "q").Run()
			time.Sleep(500 * time.Millisecond)
			_ = exec.Command("tmux", "send-keys", "-t", name, "r").Run()
			s.WaitUntil(60*time.Second, func(sc string) bool { return strings.Contains(sc, "GAMEDAY-EXITED") })
		}
		if out, err := exec.Command(bin, "lab", "down", "--dir", labDir).CombinedOutput(); err != nil {
			t.Logf("lab down: %v\n%s", err, out)
		}
	})

	// The lab is up and every probe has reported.
	screen := s.WaitFor(90*time.Second, "sentinel.master", "Faults")
	screen, settled := s.WaitUntil(90*time.Second, func(sc string) bool {
		m := probeTitle.FindStringSubmatch(sc)
		return m != nil && m[1] != "0" && m[2] == "0" && m[3] == "0" && m[4] == "0"
	})
	if !settled {
		// A loaded machine can keep a latency probe above its threshold;
		// the drill only needs Sentinel to agree on a master.
		t.Logf("not every probe settled to ok; going on with:\n%s", screen)
	}
	before := master(screen)
	if before == "" || !strings.Contains(screen, "3/3 agree") {
		t.Fatalf("no agreed master on the Sentinel row:\n%s", screen)
	}

	// Arm kill on the master, keys only: palette → kill, picker filtered to
	// role:master, parameters as they are, confirm the plan.
	screen = s.Capture()
	for i := 0; i < 12 && !strings.Contains(screen, "> kill"); i++ {
		s.Keys("j")
		screen = s.Capture()
	}
	if !strings.Contains(screen, "> kill") {
		t.Fatalf("kill not found in the palette:\n%s", screen)
	}
	s.Keys("a")
	s.WaitFor(10*time.Second, "Arm kill: choose hosts")
	s.Keys("/")
	s.Keys(strings.Split("role:master", "")...)
	s.Keys("Enter", "Space")
	s.WaitFor(10*time.Second, "1 of ", "hosts selected")
	s.Keys("Enter")
	s.WaitFor(10*time.Second, "Arm kill: parameters")
	s.Keys("Enter")
	s.WaitFor(30*time.Second, "blast radius:")
	s.Keys("y")

	// The Sentinel row names another master and the timeline shows the
	// switch.
	var newMaster string
	sawSwitch := false
	screen, switched := s.WaitUntil(90*time.Second, func(sc string) bool {
		if m := master(sc); m != "" && m != before && strings.Contains(m, ":") {
			newMaster = m
		}
		sawSwitch = sawSwitch || strings.Contains(sc, "sentinel.switch")
		return newMaster != "" && sawSwitch
	})
	if !switched {
		errOut, _ := os.ReadFile(filepath.Join(dir, "stderr"))
		t.Fatalf("after kill on master %s: new master %q, switch on the timeline %v; stderr %q; last screen:\n%s", before, newMaster, sawSwitch, errOut, screen)
	}
	t.Logf("master %s → %s", before, newMaster)
	if !strings.Contains(screen, "fault.armed") {
		t.Errorf("timeline lacks fault.armed:\n%s", screen)
	}

	// Revert from the Armed pane and quit; the lab stops itself.
	s.Keys("Tab", "r")
	s.WaitFor(60*time.Second, "fault.reverted")
	s.Keys("q")
	screen = s.WaitFor(60*time.Second, "GAMEDAY-EXITED 0", "timeline:", "lab: stopped")
	if !strings.Contains(screen, ".md") {
		t.Errorf("exit lacks the markdown timeline path:\n%s", screen)
	}

	// The review: replay the journal just written and jump to the switch.
	replayTheDrill(t, bin, dir, state, newMaster)
}
