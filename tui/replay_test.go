package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-dev/gameday/internal/journaltest"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
)

// replayOf opens a replay of the drill journal with its cursor at off
// from the start, and the screen on it as gameday replay wires it.
func replayOf(t *testing.T, off time.Duration) (*Model, *session.Attachment) {
	t.Helper()
	path := journaltest.Write(t, "2026-11-25T140000Z.jsonl", journaltest.Drill())
	s, err := session.OpenReplay(session.ReplayConfig{Journal: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close("test over") })
	a := facilitator(t, s)
	if err := a.Seek(journaltest.DrillStart.Add(off)); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Inventory: &targets.Inventory{Name: "lab"}, Feed: a, Faults: a, Notes: a, Seat: a, Cursor: a,
		JournalPath: "~/.local/state/gameday/sessions/2026-11-25T140000Z.jsonl"})
	return m, a
}

// facilitator attaches ana, a facilitator, to s.
func facilitator(t *testing.T, s *session.Session) *session.Attachment {
	t.Helper()
	a, err := s.Attach(session.Person{Name: "ana", Role: session.Facilitator})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// rowOf returns the probe table's row of probe, status word first.
func rowOf(screen, probe string) string {
	m := regexp.MustCompile(`(?m)^.((ok|BREACH|error|pending)\s+` + regexp.QuoteMeta(probe) + `\s.*)$`).FindStringSubmatch(screen)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestReplayGolden: the replay screen of the drill before the fault,
// during the breach and after recovery, each with what was true then.
func TestReplayGolden(t *testing.T) {
	tests := []struct {
		name string
		at   time.Duration
		// what the screen must show then, beyond the golden
		latency, master, armed, cursorRow string
	}{
		{"before", 90 * time.Second, "ok", "127.0.0.1:16379", "nothing armed", "steady state: every probe green"},
		{"breach", journaltest.DrillBreach + 9*time.Second, "BREACH", "127.0.0.1:16380", "f-0001", "breached: p99 80ms > 50ms"},
		{"after", journaltest.DrillRevert + 30*time.Second, "ok", "127.0.0.1:16380", "nothing armed", "an event this gameday does not know"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := replayOf(t, tc.at)
			sc := start(t, m, 120, 36)
			cursor := journaltest.DrillStart.Add(tc.at).Format("15:04:05")
			waitFor(t, sc, "Replay  "+cursor)
			waitMarked(t, sc)
			v := finalView(t, sc)
			if row := rowOf(v, "redis.latency"); !strings.HasPrefix(row, tc.latency) {
				t.Errorf("redis.latency row %q, want %s", row, tc.latency)
			}
			if row := rowOf(v, "sentinel.master"); !strings.Contains(row, tc.master) {
				t.Errorf("sentinel.master row %q, want master %s", row, tc.master)
			}
			if !strings.Contains(v, tc.armed) {
				t.Errorf("the armed pane lacks %q", tc.armed)
			}
			if !regexp.MustCompile(`> \d\d:\d\d:\d\d .*` + regexp.QuoteMeta(tc.cursorRow)).MatchString(v) {
				t.Errorf("the timeline does not mark the event at the cursor (%q)", tc.cursorRow)
			}
			teatest.RequireEqualOutput(t, []byte(v))
		})
	}
}

// cursorRow returns the timeline's row marked as the event at the cursor.
func cursorRow(screen string) string {
	m := regexp.MustCompile(`(?m)^.> (\d\d:\d\d:\d\d \S+.*?)\s*.$`).FindStringSubmatch(screen)
	if m == nil {
		return ""
	}
	return m[1]
}

// ] walks the significant events one by one: the fifth is the switch,
// where the Sentinel row names the new master (and flashes it) and
// redis.latency shows the error it had then.
func TestReplayJumpsToTheSwitch(t *testing.T) {
	m, _ := replayOf(t, 0)
	sc := start(t, m, 120, 36)
	waitFor(t, sc, "Replay  14:00:00")
	waitMarked(t, sc)
	press(sc, "]", "]", "]", "]", "]")
	waitFor(t, sc, "Replay  14:02:04")
	screen := finalView(t, sc)
	if row := cursorRow(screen); !strings.Contains(row, "sentinel.switch") {
		t.Fatalf("five ] do not stop at the switch but at %q:\n%s", row, screen)
	}
	if row := rowOf(screen, "sentinel.master"); !strings.Contains(row, "127.0.0.1:16380") || !strings.Contains(row, "SWITCHED") {
		t.Errorf("at the switch the Sentinel row is %q", row)
	}
	if row := rowOf(screen, "redis.latency"); !strings.HasPrefix(row, "error") {
		t.Errorf("at the switch redis.latency is %q, want the error it had", row)
	}
}

// waitMarked waits until the scrub bar shows the session's marks (they
// arrive after the first frame).
func waitMarked(t *testing.T, sc *screen) {
	t.Helper()
	waitMatch(t, sc, regexp.MustCompile(`[━─]N[━─]`))
}

// waitMatch waits until what the screen drew since seen was last reset
// matches re.
func waitMatch(t *testing.T, sc *screen, marked *regexp.Regexp) {
	t.Helper()
	n := 0
	teatest.WaitFor(t, sc.Output(), func(b []byte) bool {
		sc.seen.Write(b[n:])
		n = len(b)
		return marked.Match(sc.seen.Bytes())
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// moveTo presses key and waits for the scrub bar to show at.
func moveTo(t *testing.T, sc *screen, k tea.KeyMsg, at string) {
	t.Helper()
	sc.seen.Reset()
	sc.Send(k)
	waitFor(t, sc, "Replay  "+at)
}

// [ goes back an event, ← and → by a second, shift by ten, G and g to
// the ends.
func TestReplayKeysMoveTheCursor(t *testing.T) {
	m, _ := replayOf(t, journaltest.DrillSwitch)
	sc := start(t, m, 120, 36)
	waitFor(t, sc, "Replay  14:02:04")
	waitMarked(t, sc)
	runes := func(r string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(r)} }
	for _, k := range []struct {
		key tea.KeyMsg
		at  string
	}{
		{runes("["), "14:02:01"}, {tea.KeyMsg{Type: tea.KeyRight}, "14:02:02"}, {tea.KeyMsg{Type: tea.KeyShiftRight}, "14:02:12"},
		{tea.KeyMsg{Type: tea.KeyLeft}, "14:02:11"}, {tea.KeyMsg{Type: tea.KeyShiftLeft}, "14:02:01"},
		{runes("G"), "14:06:00"}, {runes("g"), "14:00:00"},
	} {
		moveTo(t, sc, k.key, k.at)
	}
}

// space plays from the cursor at the chosen speed and stops at the end; a
// review note written with n lands at the cursor and is marked at once.
func TestReplayPlaysAndTakesReviewNotes(t *testing.T) {
	m, _ := replayOf(t, journaltest.DrillRevert)
	sc := start(t, m, 120, 36)
	waitFor(t, sc, "Replay  14:04:00")
	waitMarked(t, sc)
	press(sc, "+", "+", "+")
	waitFor(t, sc, "paused 600×")
	press(sc, " ")
	waitFor(t, sc, "playing 600×")
	sc.seen.Reset()
	waitFor(t, sc, "14:06:00  +0:06:00 of 0:06:00 · paused 600×") // played to the end, and stopped there
	moveTo(t, sc, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("[")}, "14:04:00")
	moveTo(t, sc, tea.KeyMsg{Type: tea.KeyShiftRight}, "14:04:10") // a cell of its own on the bar
	press(sc, "n")
	waitFor(t, sc, "Note for the timeline")
	press(sc, "w", "h", "y", "?")
	waitFor(t, sc, "why?")
	sc.seen.Reset()
	press(sc, "enter")
	waitFor(t, sc, "> 14:04:10 note")
	waitMatch(t, sc, regexp.MustCompile(`━R|R─`))
	screen := finalView(t, sc)
	if row := cursorRow(screen); !strings.Contains(row, "14:04:10 note") || !strings.Contains(row, "why?") {
		t.Errorf("the marked row is %q, want the review note", row)
	}
	if !regexp.MustCompile(`━R|R─`).MatchString(screen) {
		t.Errorf("the review note is not marked R on the scrub bar:\n%s", screen)
	}
}
