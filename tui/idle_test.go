package tui

import (
	"testing"
	"time"
)

// TestNothingTicksWhenNothingMoves shows the screen does no work while no
// event arrives and nothing is armed: Update is not called at all over an
// idle stretch (the status clock wakes once a minute, the TTL tick only
// runs while faults are armed).
func TestNothingTicksWhenNothingMoves(t *testing.T) {
	f := newFixture(t, false)
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "nothing armed")
	time.Sleep(300 * time.Millisecond) // let start-up messages settle
	before := f.m.Updates()
	time.Sleep(2 * time.Second)
	if n := f.m.Updates() - before; n != 0 {
		t.Fatalf("%d updates while idle, want 0", n)
	}
	sc.FinalModelAfterQuit(t)
}

// TestTickRunsOnlyWhileArmed shows the one-second tick starts when a fault
// is armed and stops once nothing is.
func TestTickRunsOnlyWhileArmed(t *testing.T) {
	f := newFixture(t, false, armedFixture("f-0001", "latency", "kafka-1"))
	sc := start(t, f.m, 120, 36)
	waitFor(t, sc, "f-0001")
	before := f.m.Updates()
	time.Sleep(2500 * time.Millisecond)
	if n := f.m.Updates() - before; n < 2 {
		t.Fatalf("%d updates in 2.5 s with a fault armed, want the 1 s countdown tick", n)
	}
	steps(t, sc, step{keys: []string{"tab", "r"}, until: []string{"reverted f-0001"}})
	time.Sleep(1500 * time.Millisecond) // the last tick notices and stops
	before = f.m.Updates()
	time.Sleep(2 * time.Second)
	if n := f.m.Updates() - before; n != 0 {
		t.Fatalf("%d updates after the last revert, want 0", n)
	}
	sc.FinalModelAfterQuit(t)
}
