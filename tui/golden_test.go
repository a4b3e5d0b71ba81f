package tui

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

func TestMain(m *testing.M) {
	// Goldens are text: no colours, whatever the terminal running the tests.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

type fixture struct {
	m   *Model
	ff  *fakeFaults
	rec *timeline.Recorder
}

// newFixture returns the TUI over the fixture inventory, kinds and two
// minutes of probe history, driven by a fake Faults that records onto a
// real Recorder feeding the TUI.
func newFixture(t *testing.T, readOnly bool, armed ...inject.Armed) *fixture {
	t.Helper()
	rec := timeline.NewRecorder(timeline.WithClock(fixedNow))
	sub := rec.Subscribe(4096)
	t.Cleanup(rec.Close)
	ff := newFakeFaults(rec)
	for _, a := range armed {
		ff.active[a.ID] = a
		ff.n++
	}
	m := New(Options{
		Inventory:   fixtureInventory(),
		Faults:      ff,
		Kinds:       fixtureKinds(),
		Feed:        subFeed{sub},
		Notes:       recNotes{rec},
		Export:      func() (string, error) { return "/tmp/gameday-test/timeline.md", nil },
		JournalPath: "~/.local/state/gameday/sessions/2026-11-25T092755Z.jsonl",
		Probes:      fixtureKnown(),
		ReadOnly:    readOnly,
		Now:         fixedNow,
	})
	m.Update(eventsMsg{events: fixtureEvents()})
	return &fixture{m: m, ff: ff, rec: rec}
}

func armedFixture(id, kind string, hosts ...string) inject.Armed {
	return inject.Armed{
		ID: id, State: inject.StateArmed,
		Request: inject.Request{Kind: kind, Hosts: hosts, Params: map[string]string{"delay": "500ms"}, TTL: 5 * time.Minute},
		ArmedAt: t0.Add(-time.Minute), Deadline: t0.Add(4 * time.Minute),
	}
}

// screen is a running TUI and everything it has drawn so far.
type screen struct {
	*teatest.TestModel
	seen bytes.Buffer
}

func start(t *testing.T, m tea.Model, w, h int) *screen {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	return &screen{TestModel: tm}
}

// FinalModelAfterQuit quits the program and returns the model it ended with.
func (sc *screen) FinalModelAfterQuit(t *testing.T) *Model {
	t.Helper()
	if err := sc.Quit(); err != nil {
		t.Fatal(err)
	}
	return sc.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
}

// waitFor waits until the screen has drawn every one of subs, at any time
// since it started. The limit only stops a hung test: it is generous
// because seven engineers' -race runs share two cores.
func waitFor(t *testing.T, sc *screen, subs ...string) {
	t.Helper()
	n := 0 // WaitFor hands over everything it read during this call
	teatest.WaitFor(t, sc.Output(), func(b []byte) bool {
		sc.seen.Write(b[n:])
		n = len(b)
		for _, s := range subs {
			if !bytes.Contains(sc.seen.Bytes(), []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func press(tm *screen, ks ...string) {
	for _, k := range ks {
		switch k {
		case "enter":
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
		case "tab":
			tm.Send(tea.KeyMsg{Type: tea.KeyTab})
		case "down":
			tm.Send(tea.KeyMsg{Type: tea.KeyDown})
		case "space":
			tm.Send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
		default:
			tm.Type(k)
		}
	}
}

func finalView(t *testing.T, tm *screen) string {
	t.Helper()
	return tm.FinalModelAfterQuit(t).View()
}

// step sends keys, then waits until the screen shows every string in until.
type step struct {
	keys  []string
	until []string
}

// steps runs a sequence of steps: each waits for the screen the previous
// keys lead to, because dialogs open through commands.
func steps(t *testing.T, sc *screen, ss ...step) {
	t.Helper()
	for _, s := range ss {
		press(sc, s.keys...)
		waitFor(t, sc, s.until...)
	}
}

var (
	openPicker  = step{keys: []string{"a"}, until: []string{"choose hosts"}}
	pickFirst   = step{keys: []string{"space"}, until: []string{"1 of 9 hosts selected"}}
	openForm    = step{keys: []string{"enter"}, until: []string{": parameters"}}
	openConfirm = step{keys: []string{"enter"}, until: []string{"blast radius:"}}
)

func TestGoldenViews(t *testing.T) {
	tests := map[string][]step{
		"main":          nil,
		"picker":        {openPicker, pickFirst, {keys: []string{"down", "down", "space"}, until: []string{"2 of 9 hosts selected"}}},
		"filter":        {openPicker, {keys: []string{"/", "r", "o", "l", "e", ":", "k", "a", "f", "k", "a"}, until: []string{"/role:kafka"}}},
		"filter-toggle": {openPicker, {keys: []string{"/", "k", "a", "f", "k", "a", "down", "space"}, until: []string{"1 of 9 hosts selected"}}},
		"form":          {openPicker, pickFirst, openForm},
		"confirm":       {openPicker, pickFirst, openForm, openConfirm},
		"majority":      {{keys: []string{"down", "down", "down"}, until: []string{"> kill"}}, openPicker, pickFirst, {keys: []string{"down", "space"}, until: []string{"2 of 9 hosts selected"}}, openForm, {keys: []string{"enter"}, until: []string{"MAJORITY"}}},
		"help":          {{keys: []string{"?"}, until: []string{"Everywhere"}}},
		"quit":          {{keys: []string{"q"}, until: []string{"Quit with faults armed?"}}},
		"note":          {{keys: []string{"n"}, until: []string{"Note for the timeline"}}, {keys: []string{"r", "e", "d", "i", "s"}, until: []string{"> redis"}}},
	}
	for name, ss := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, false, armedFixture("f-0001", "latency", "kafka-1"))
			sc := start(t, f.m, 120, 36)
			waitFor(t, sc, "f-0001")
			steps(t, sc, ss...)
			teatest.RequireEqualOutput(t, []byte(finalView(t, sc)))
		})
	}
}

// TestHelpFitsTheSmallestScreen: at 100×30 the help goes into two columns
// and still shows its footer.
func TestHelpFitsTheSmallestScreen(t *testing.T) {
	f := newFixture(t, false)
	sc := start(t, f.m, 100, 30)
	waitFor(t, sc, "nothing armed")
	steps(t, sc, step{keys: []string{"?"}, until: []string{"Everywhere"}})
	v := finalView(t, sc)
	if !strings.Contains(v, "? close · esc close") {
		t.Errorf("the help's footer is cut off at 100×30:\n%s", v)
	}
	teatest.RequireEqualOutput(t, []byte(v))
}

func TestTooSmall(t *testing.T) {
	f := newFixture(t, false)
	sc := start(t, f.m, 90, 24)
	waitFor(t, sc, "terminal too small (need 100×30, have 90×24)")
	teatest.RequireEqualOutput(t, []byte(finalView(t, sc)))
}

func TestWideLayoutUsesTheRoom(t *testing.T) {
	f := newFixture(t, false, armedFixture("f-0001", "latency", "kafka-1"))
	tm := start(t, f.m, 200, 60)
	waitFor(t, tm, "f-0001")
	v := finalView(t, tm)
	lines := strings.Split(v, "\n")
	if len(lines) != 60 {
		t.Fatalf("view has %d lines, want 60", len(lines))
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w != 200 {
			t.Fatalf("line %d is %d wide, want 200: %q", i, w, l)
		}
	}
	teatest.RequireEqualOutput(t, []byte(v))
}
