package tui

import (
	tea "github.com/charmbracelet/bubbletea"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/tui/dialog"
)

// TestArmAndRevertByKeys arms a fault with keys only, sees it in the Armed
// pane and on the timeline, reverts it and sees the revert.
func TestArmAndRevertByKeys(t *testing.T) {
	f := newFixture(t, false)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "nothing armed")
	steps(t, sc, openPicker, pickFirst, openForm, openConfirm,
		step{keys: []string{"y"}, until: []string{"f-0001   latency    redis-1", "latency armed on redis-1"}},
		step{keys: []string{"tab", "r"}, until: []string{"latency reverted on redis-1", "reverted f-0001"}},
	)
	m := sc.FinalModelAfterQuit(t)
	if n := m.armed.Count(); n != 0 {
		t.Errorf("armed pane shows %d faults after revert, want 0", n)
	}
	want := []string{"preview latency", "arm latency redis-1 iknow=false", "revert f-0001"}
	if got := f.ff.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls into Faults = %q, want %q", got, want)
	}
	v := m.View()
	for _, s := range []string{"fault.armed", "fault.reverted", "Armed  0"} {
		if !strings.Contains(v, s) {
			t.Errorf("final screen lacks %q:\n%s", s, v)
		}
	}
}

// TestMajorityNeedsAcknowledgement shows y alone does not arm a fault that
// takes down a majority; i then y does, with IKnow set.
func TestMajorityNeedsAcknowledgement(t *testing.T) {
	f := newFixture(t, false)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "nothing armed")
	steps(t, sc,
		step{keys: []string{"down", "down", "down"}, until: []string{"> kill"}},
		openPicker, pickFirst,
		step{keys: []string{"down", "space"}, until: []string{"2 of 9 hosts selected"}},
		openForm,
		step{keys: []string{"enter"}, until: []string{"MAJORITY"}},
		step{keys: []string{"y"}, until: []string{"press i to acknowledge first"}},
		step{keys: []string{"i", "y"}, until: []string{"kill armed on redis-1,redis-2"}},
	)
	sc.FinalModelAfterQuit(t)
	want := []string{"preview kill", "arm kill redis-1,redis-2 iknow=true"}
	if got := f.ff.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls into Faults = %q, want %q", got, want)
	}
}

// TestRevertAllRevertsBoth: R with two armed faults asks once and reverts
// both.
func TestRevertAllRevertsBoth(t *testing.T) {
	f := newFixture(t, false, armedFixture("f-0001", "latency", "kafka-1"), armedFixture("f-0002", "pause", "redis-2"))
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "f-0001", "f-0002")
	steps(t, sc,
		step{keys: []string{"R"}, until: []string{"Revert 2 armed faults now?"}},
		step{keys: []string{"y"}, until: []string{"reverted f-0001, f-0002"}},
	)
	m := sc.FinalModelAfterQuit(t)
	if n := m.armed.Count(); n != 0 {
		t.Errorf("armed pane shows %d faults after R, want 0", n)
	}
	if got := f.ff.Calls(); !slices.Contains(got, "revert f-0001") || !slices.Contains(got, "revert f-0002") {
		t.Errorf("calls into Faults = %q, want both reverted", got)
	}
}

// TestReadOnlyHasNoArmingKeys: the help lists no arming key and a, R do
// nothing.
func TestReadOnlyHasNoArmingKeys(t *testing.T) {
	f := newFixture(t, true)
	f.m.opts.LedgerPoll = 100 * time.Millisecond
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "READ-ONLY", "nothing armed")
	// Another process arms a fault: the spectator screen shows it.
	f.ff.mu.Lock()
	f.ff.active["f-0001"] = armedFixture("f-0001", "latency", "kafka-1")
	f.ff.mu.Unlock()
	waitFor(t, sc, "f-0001")
	press(sc, "a", "enter", "R", "r", "tab", "tab", "r", "R")
	steps(t, sc, step{keys: []string{"?"}, until: []string{"Everywhere"}})
	m := sc.FinalModelAfterQuit(t)
	help := strings.Join(dialog.Lines(m.c, m.c.Keys), "\n")
	for _, s := range m.c.Keys.Sections() {
		for _, b := range s.Bindings {
			switch k := b.Help().Key; k {
			case "a/enter", "r", "R", "y", "i", "l":
				t.Errorf("read-only help lists the action key %q:\n%s", k, help)
			}
		}
	}
	for _, banned := range []string{"arm the selected", "revert the selected", "revert every"} {
		if strings.Contains(help, banned) {
			t.Errorf("read-only help mentions %q:\n%s", banned, help)
		}
	}
	if _, ok := m.dialog.(*dialog.Help); !ok {
		t.Errorf("open dialog is %T, want only the help", m.dialog)
	}
	if got := f.ff.Calls(); len(got) != 0 {
		t.Errorf("read-only screen called Faults: %q", got)
	}
}

// TestQuitWithArmedRevertsFirst: q, then r, reverts everything and quits.
func TestQuitWithArmedRevertsFirst(t *testing.T) {
	f := newFixture(t, false, armedFixture("f-0001", "latency", "kafka-1"))
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "f-0001")
	steps(t, sc, step{keys: []string{"q"}, until: []string{"Quit with faults armed?"}})
	press(sc, "r")
	m := sc.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !m.Outcome().Reverted {
		t.Errorf("outcome %+v, want Reverted", m.Outcome())
	}
	if got := f.ff.Calls(); !slices.Equal(got, []string{"revert-all", "revert f-0001"}) {
		t.Errorf("calls into Faults = %q", got)
	}
}

// TestQuitWithArmedCanLeaveThem: q, then l, quits and reports the faults
// left to their guards.
func TestQuitWithArmedCanLeaveThem(t *testing.T) {
	f := newFixture(t, false, armedFixture("f-0001", "latency", "kafka-1"))
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "f-0001")
	steps(t, sc, step{keys: []string{"q"}, until: []string{"Quit with faults armed?"}})
	press(sc, "l")
	m := sc.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if o := m.Outcome(); o.Reverted || len(o.LeftArmed) != 1 || o.LeftArmed[0].ID != "f-0001" {
		t.Errorf("outcome %+v, want f-0001 left armed", o)
	}
	if got := f.ff.Calls(); len(got) != 0 {
		t.Errorf("leaving faults armed called Faults: %q", got)
	}
}

// TestOrphansOfferedOnStart: faults of a dead session are shown at start
// and r reverts them.
func TestOrphansOfferedOnStart(t *testing.T) {
	orphan := armedFixture("f-0009", "partition", "kafka-2")
	f := newFixture(t, false, orphan)
	f.ff.orphans = []inject.Armed{orphan}
	sc := start(t, f.m, 120, 36)
	steps(t, sc,
		step{until: []string{"Orphaned faults", "f-0009"}},
		step{keys: []string{"r"}, until: []string{"reverted f-0009"}},
	)
	m := sc.FinalModelAfterQuit(t)
	if n := m.armed.Count(); n != 0 {
		t.Errorf("armed pane shows %d faults after reverting orphans, want 0", n)
	}
	if got := f.ff.Calls(); !slices.Equal(got, []string{"revert f-0009"}) {
		t.Errorf("calls into Faults = %q", got)
	}
}

// TestHungArmShowsPendingAndKeepsAnswering: while Arm hangs the Armed pane
// says pending and keys still work; the deadline turns it into an error.
func TestHungArmShowsPendingAndKeepsAnswering(t *testing.T) {
	f := newFixture(t, false)
	f.ff.block = make(chan struct{})
	f.m.opts.ActionTimeout = 2 * time.Second
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "nothing armed")
	steps(t, sc, openPicker, pickFirst, openForm, openConfirm,
		step{keys: []string{"y"}, until: []string{"pending: arming latency on redis-1"}},
		step{keys: []string{"?"}, until: []string{"Everywhere"}},
		step{keys: []string{"esc"}, until: []string{"error: arm failed: no answer within 2s"}},
	)
	sc.FinalModelAfterQuit(t)
}

// TestNoteAndExport: n writes a note onto the timeline through the
// Recorder; e exports and says where.
func TestNoteAndExport(t *testing.T) {
	f := newFixture(t, false)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "nothing armed")
	steps(t, sc,
		step{keys: []string{"n"}, until: []string{"Note for the timeline"}},
		// The typed text shows before enter is handled: wait for the
		// timeline row, which exists only once the dialog sent the note.
		step{keys: append(strings.Split("master looks slow", ""), "enter"), until: []string{"09:30:00 note"}},
		step{keys: []string{"e"}, until: []string{"timeline written to /tmp/gameday-test/timeline.md"}},
	)
	m := sc.FinalModelAfterQuit(t)
	if v := m.View(); !regexp.MustCompile(`\d\d:\d\d:\d\d note\s+master looks slow`).MatchString(v) {
		t.Errorf("the note is not on the timeline:\n%s", v)
	}
}

// TestCtrlCTwiceRevertsAndQuits: ctrl+c works inside a dialog, and a
// second ctrl+c at the quit question reverts everything.
func TestCtrlCTwiceRevertsAndQuits(t *testing.T) {
	f := newFixture(t, false, armedFixture("f-0001", "latency", "kafka-1"))
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "f-0001")
	steps(t, sc, step{keys: []string{"n"}, until: []string{"Note for the timeline"}})
	sc.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	waitFor(t, sc, "Quit with faults armed?")
	sc.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	m := sc.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !m.Outcome().Reverted {
		t.Errorf("outcome %+v, want Reverted", m.Outcome())
	}
	if got := f.ff.Calls(); !slices.Contains(got, "revert f-0001") {
		t.Errorf("calls into Faults = %q, want f-0001 reverted", got)
	}
}
