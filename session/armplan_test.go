package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// TestArmPlanArmsTheConfirmedPlanAsThePerson: a facilitator's screen arms
// the plan it previewed under that plan's id, recorded as theirs; an
// observer's ArmPlan arms nothing (#11.2).
func TestArmPlanArmsTheConfirmedPlanAsThePerson(t *testing.T) {
	s := liveSession(t)
	alice := attach(t, s, "alice", Facilitator)
	bob := attach(t, s, "bob", Observer)
	_, pidfile := sleeper(t)
	pv, err := alice.Preview(context.Background(), inject.Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ArmPlan(context.Background(), pv); err == nil || !strings.Contains(err.Error(), "observers do not arm") {
		t.Fatalf("an observer's ArmPlan: %v", err)
	}
	armed, err := alice.ArmPlan(context.Background(), pv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = alice.Revert(context.Background(), armed.ID) })
	if armed.ID != pv.ID {
		t.Fatalf("armed %s, the plan confirmed was %s", armed.ID, pv.ID)
	}
	by := "(no fault.armed)"
	for _, e := range journal(t, s) {
		if f := e.Fault(); f != nil && f.FaultID == armed.ID && e.Kind == timeline.FaultArmed {
			by = e.By
		}
	}
	if by != "alice" {
		t.Fatalf("fault.armed by %q, want alice", by)
	}
}
