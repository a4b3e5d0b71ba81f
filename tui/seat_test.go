package tui

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// fakeSeat is the person at a shared screen.
type fakeSeat struct {
	mu          sync.Mutex
	who, role   string
	arm, note   error
	handed      []string
	steppedDown bool
}

func (s *fakeSeat) Who() string { return s.who }
func (s *fakeSeat) Role() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.role
}
func (s *fakeSeat) MayArm() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.arm
}
func (s *fakeSeat) MayNote() error { return s.note }
func (s *fakeSeat) ArmedBy(id string) string {
	if id == "f-0001" {
		return "bob"
	}
	return ""
}
func (s *fakeSeat) StepDown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steppedDown = true
	return nil
}
func (s *fakeSeat) HandOver(to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handed = append(s.handed, to)
	return nil
}

func presence(person, role string, k timeline.Kind) timeline.Event {
	e := timeline.NewEvent(k, "serve", "%s joined as %s", person, role).With("person", person).With("role", role)
	e.Time = t0
	return e
}

// sharedFixture is the fixture screen as one of several on a shared
// session, for the person at seat, with alice and carol attached too.
func sharedFixture(t *testing.T, seat *fakeSeat, armed ...inject.Armed) *fixture {
	t.Helper()
	f := newFixture(t, false, armed...)
	o := f.m.opts
	o.Seat, o.Shared = seat, true
	m := New(o)
	evs := append(fixtureEvents(),
		presence("alice", "facilitator", timeline.SessionJoin),
		presence(seat.who, seat.role, timeline.SessionJoin),
		presence("carol", "scribe", timeline.SessionJoin))
	m.Update(eventsMsg{events: evs, reset: true})
	f.m = m
	return f
}

func TestObserverKeysSayWhyTheyDoNothing(t *testing.T) {
	seat := &fakeSeat{who: "bob", role: "observer",
		arm:  errors.New("observers do not arm or revert faults: ask the facilitator (alice)"),
		note: errors.New("observers watch: ask the scribe (carol) to note it")}
	f := sharedFixture(t, seat, armedFixture("f-0001", "latency", "kafka-1"))
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "f-0001", "you: bob (observer) · with alice (facilitator), carol (scribe)")
	steps(t, sc,
		step{keys: []string{"a"}, until: []string{"not allowed: observers do not arm or revert faults: ask the facilitator (alice)"}},
		step{keys: []string{"n"}, until: []string{"not allowed: observers watch: ask the scribe (carol) to note it"}},
	)
	// Quitting a shared screen only detaches: no question about faults.
	press(sc, "q")
	m := sc.FinalModel(t).(*Model)
	if m.dialog != nil {
		t.Errorf("quitting a shared screen opened %T", m.dialog)
	}
	if got := f.ff.Calls(); len(got) != 0 {
		t.Errorf("an observer's keys called Faults: %q", got)
	}
	teatest.RequireEqualOutput(t, []byte(m.View()))
}

func TestHandOverAsksWhoAndFollowsTheRole(t *testing.T) {
	seat := &fakeSeat{who: "alice", role: "facilitator"}
	f := sharedFixture(t, seat)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "you: alice (facilitator)")
	steps(t, sc,
		step{keys: []string{"H"}, until: []string{"Hand over the facilitator role", "1 carol (scribe)"}},
		step{keys: []string{"1"}, until: []string{"carol is now facilitator too"}},
	)
	seat.mu.Lock()
	handed := strings.Join(seat.handed, ",")
	seat.mu.Unlock()
	if handed != "carol" {
		t.Fatalf("handed over to %q, want carol", handed)
	}

	// When alice is made an observer (a test of the other direction), her
	// arming keys go.
	seat.mu.Lock()
	seat.role, seat.arm = "observer", errors.New("observers do not arm or revert faults: ask the facilitator (carol)")
	seat.mu.Unlock()
	e := presence("alice", "observer", timeline.SessionRole).With("by", "carol")
	sc.Send(eventsMsg{events: []timeline.Event{e}})
	waitFor(t, sc, "you are now observer (handed over by carol)")
	press(sc, "a")
	waitFor(t, sc, "not allowed: observers do not arm")
}

func TestResetRebuildsTheScreenFromTheFeed(t *testing.T) {
	f := newFixture(t, false)
	n := len(fixtureEvents())
	note := timeline.NewEvent(timeline.Note, "tui", "only this")
	note.Time, note.Seq = t0, uint64(n+1)
	f.m.Update(eventsMsg{events: []timeline.Event{note}, reset: true})
	if got := f.m.timeline.Len(); got != 1 {
		t.Fatalf("after a reset of one note the timeline holds %d lines, want 1", got)
	}
	if ok, breach, errs, pending := f.m.probes.Counts(); ok+breach+errs != 0 || pending != 1 {
		t.Fatalf("after the reset the probe rows are %d ok %d breach %d error %d pending, want only the known probe pending", ok, breach, errs, pending)
	}
}

func TestTwoFacilitatorsSeeWhoArmedWhat(t *testing.T) {
	seat := &fakeSeat{who: "alice", role: "facilitator"}
	f := sharedFixture(t, seat, armedFixture("f-0001", "latency", "kafka-1"))
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "f-0001")
	steps(t, sc, openPicker, pickFirst, openForm, step{keys: []string{"enter"}, until: []string{"already armed (1):", "f-0001  latency on kafka-1", "by bob"}})
}
