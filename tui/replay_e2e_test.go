package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/tmuxtest"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// replayTheDrill is the end of TestEndToEndRedisFailoverDrill: the real
// binary's `gameday replay --last` on the journal the drill just wrote,
// in tmux. It jumps with ] from the start to the switch and reads from the
// screen the master Sentinel agreed on then (newMaster, as the live screen
// showed it) and the redis.latency row red, as the journal says it was at
// that instant; the replay leaves the journal as it was.
func replayTheDrill(t *testing.T, bin, dir, state, newMaster string) {
	t.Helper()
	journal, err := timeline.LatestSession(filepath.Join(state, "gameday"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	evs, _, err := timeline.LoadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	// What the journal says: the switch, and redis.latency's last window
	// at or before it.
	var switched *timeline.Event
	var latency timeline.Status
	for i, e := range evs {
		if e.Kind == timeline.ProbeWindow && e.Reading() != nil && e.Reading().Probe == "redis.latency" {
			latency = e.Reading().Status
		}
		if e.Kind == timeline.SentinelSwitch {
			switched = &evs[i]
			break
		}
	}
	if switched == nil {
		t.Fatalf("the drill's journal %s holds no sentinel.switch", journal)
	}
	if latency != timeline.StatusBreach && latency != timeline.StatusError {
		t.Fatalf("at the switch the journal has redis.latency %q: the drill did not turn it red", latency)
	}
	at := switched.Time.UTC().Format(time.TimeOnly)

	name := fmt.Sprintf("gameday-replay-e2e-%d", os.Getpid())
	cmd := fmt.Sprintf("XDG_STATE_HOME=%s %s replay --last 2>%s; echo GAMEDAY-EXITED $?; sleep 60", state, bin, filepath.Join(dir, "replay-stderr"))
	s := tmuxtest.Start(t, name, cmd, 160, 48)
	screen := s.WaitFor(30*time.Second, "Replay  ", "session.start")
	// ] from the start: as many presses as there are significant moments
	// up to the switch (marks at one instant are one stop).
	presses := jumpsTo(t, journal, switched.Time)
	for range presses {
		s.Keys("]")
	}
	screen, _ = s.WaitUntil(10*time.Second, func(sc string) bool { return strings.Contains(markedRow(sc), "sentinel.switch") })
	if row := markedRow(screen); !strings.Contains(row, "sentinel.switch") {
		t.Fatalf("%d ] did not stop at the switch; the event at the cursor is %q:\n%s", presses, row, screen)
	}
	if !strings.Contains(screen, "Replay  "+at) {
		t.Errorf("at the switch the scrub bar does not show its time %s:\n%s", at, screen)
	}
	if row := rowOf(screen, "sentinel.master"); !strings.Contains(row, newMaster) || !strings.Contains(row, "SWITCHED") {
		t.Errorf("at the switch the Sentinel row is %q, want the new master %s, SWITCHED", row, newMaster)
	}
	if row := rowOf(screen, "redis.latency"); !strings.HasPrefix(row, string(latency)) && !strings.HasPrefix(row, strings.ToUpper(string(latency))) {
		t.Errorf("at the switch redis.latency is %q, want %s as the journal has it", row, latency)
	}
	s.Keys("q")
	screen = s.WaitFor(30*time.Second, "GAMEDAY-EXITED")
	if !strings.Contains(screen, "GAMEDAY-EXITED 0") {
		errOut, _ := os.ReadFile(filepath.Join(dir, "replay-stderr"))
		t.Errorf("the replay did not exit 0; stderr %q:\n%s", errOut, screen)
	}
	after, _ := os.ReadFile(journal)
	if string(after) != string(before) {
		t.Errorf("the replay changed the journal %s", journal)
	}
}

// jumpsTo counts the ] presses that take a replay of journal from its
// start to the moment at: the distinct times of its marks up to at.
func jumpsTo(t *testing.T, journal string, at time.Time) int {
	t.Helper()
	sess, err := session.OpenReplay(session.ReplayConfig{Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close("counted")
	a, err := sess.Attach(session.Person{Name: "ana", Role: session.Facilitator})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Detach()
	start, _ := a.Span()
	n, last := 0, start
	for _, m := range a.Marks() {
		if m.Time.After(last) && !m.Time.After(at) {
			n, last = n+1, m.Time
		}
	}
	return n
}

// markedRow returns the timeline's row marked as the event at the cursor,
// wherever the layout puts the timeline (beside the armed pane at 160
// columns).
func markedRow(screen string) string {
	if m := markedRe.FindStringSubmatch(screen); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

var markedRe = regexp.MustCompile(`[│┃]> (\d\d:\d\d:\d\d [^│┃]*)`)
