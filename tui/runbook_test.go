package tui

import (
	"context"
	"slices"
	"testing"

	"github.com/gameday-dev/gameday/inject"
)

// fakeRunbook asks once to arm kill on redis-1, arms it through the fake
// Faults when the operator says yes, and reports held; a no aborts it.
func fakeRunbook(f *fixture) *Runbook {
	return &Runbook{Name: "drill", Run: func(ask func(context.Context, inject.Preview) (bool, error)) (string, string, error) {
		ctx := context.Background()
		req := inject.Request{Kind: "kill", Hosts: []string{"redis-1"}, TTL: inject.DefaultTTL}
		p, err := f.ff.Preview(ctx, req)
		if err != nil {
			return "", "", err
		}
		yes, err := ask(ctx, p)
		if err != nil {
			return "", "", err
		}
		if !yes {
			return "aborted", "the operator declined kill on redis-1", nil
		}
		if _, err := f.ff.ArmPlan(ctx, p); err != nil {
			return "", "", err
		}
		return "held", "", nil
	}}
}

func TestRunbookInjectsAskFirst(t *testing.T) {
	tests := map[string]struct {
		answer []string
		until  string
		calls  []string
	}{
		"yes arms":   {answer: []string{"y"}, until: "runbook drill: held", calls: []string{"preview kill", "arm kill redis-1 iknow=false"}},
		"esc aborts": {answer: []string{"esc"}, until: "runbook drill: aborted (the operator declined kill on redis-1)", calls: []string{"preview kill"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, false)
			f.m.opts.Runbook = fakeRunbook(f)
			f.m.c.Keys.Runbook.SetEnabled(true)
			sc := start(t, f.m, 120, 36)
			waitFor(t, sc, "nothing armed")
			steps(t, sc,
				step{keys: []string{"s"}, until: []string{"Start runbook drill?"}},
				step{keys: []string{"y"}, until: []string{"Runbook drill wants to arm kill", "lab: kill redis-1"}},
				step{keys: tc.answer, until: []string{tc.until}},
			)
			sc.FinalModelAfterQuit(t)
			if got := f.ff.Calls(); !slices.Equal(got, tc.calls) {
				t.Errorf("calls into Faults = %q, want %q", got, tc.calls)
			}
		})
	}
}
