package tui

import (
	"context"
	"slices"
	"testing"

	"github.com/gameday-dev/gameday/inject"
)

// TestReopenedScreenIsAskedThePendingRunbookQuestion: a facilitator's
// screen opened while a runbook runs (they reconnected) joins the run: the
// question it waits on comes up without a key, and the answer arms.
func TestReopenedScreenIsAskedThePendingRunbookQuestion(t *testing.T) {
	f := newFixture(t, false)
	rb := fakeRunbook(f)
	rb.Running, rb.Follow = func() bool { return true }, rb.Run
	rb.Run = nil // this screen did not start it
	f.m.opts.Runbook = rb
	f.m.c.Keys.Runbook.SetEnabled(true)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "Runbook drill wants to arm kill", "lab: kill redis-1")
	steps(t, sc, step{keys: []string{"y"}, until: []string{"runbook drill: held"}})
	sc.FinalModelAfterQuit(t)
	if got, want := f.ff.Calls(), []string{"preview kill", "arm kill redis-1 iknow=false"}; !slices.Equal(got, want) {
		t.Errorf("calls into Faults = %q, want %q", got, want)
	}
}

// TestObserverScreenDoesNotFollowTheRunbook: a screen whose person may not
// arm is asked nothing.
func TestObserverScreenDoesNotFollowTheRunbook(t *testing.T) {
	f := newFixture(t, false)
	followed := false
	rb := fakeRunbook(f)
	rb.Running = func() bool { return true }
	rb.Follow = func(func(context.Context, inject.Preview) (bool, error)) (string, string, error) {
		followed = true
		return "", "", nil
	}
	f.m.opts.Runbook = rb
	f.m.c.Keys.Runbook.SetEnabled(false)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "nothing armed")
	sc.FinalModelAfterQuit(t)
	if followed {
		t.Error("a screen that may not arm followed the runbook")
	}
}

// TestStepDownFromTheHandOverDialog: 0 in the hand-over dialog steps the
// facilitator down.
func TestStepDownFromTheHandOverDialog(t *testing.T) {
	seat := &fakeSeat{who: "alice", role: "facilitator"}
	f := sharedFixture(t, seat)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "you: alice (facilitator)")
	steps(t, sc, step{keys: []string{"H"}, until: []string{"Hand over the facilitator role", "0 step down: you become scribe"}})
	steps(t, sc, step{keys: []string{"0"}, until: []string{"you stepped down"}})
	sc.FinalModelAfterQuit(t)
	seat.mu.Lock()
	defer seat.mu.Unlock()
	if !seat.steppedDown {
		t.Error("0 did not step down")
	}
}
