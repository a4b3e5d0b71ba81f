package inject

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// capturingRunner runs scripts on this machine and keeps each one.
type capturingRunner struct {
	LocalRunner
	mu      sync.Mutex
	scripts []string
}

func (c *capturingRunner) Run(ctx context.Context, h targets.Host, script string) (Result, error) {
	c.mu.Lock()
	c.scripts = append(c.scripts, script)
	c.mu.Unlock()
	return c.LocalRunner.Run(ctx, h, script)
}

// shown returns the scripts of previewed steps ("# name\nscript").
func shown(steps ...[]string) []string {
	var out []string
	for _, ss := range steps {
		for _, s := range ss {
			_, script, _ := strings.Cut(s, "\n")
			out = append(out, script)
		}
	}
	return out
}

// TestArmPlanArmsWhatWasShown: the commands run on the host, captured,
// are the previewed ones, in order, under the previewed fault ID — and
// the fault is in place (the process stopped). One plan arms once.
func TestArmPlanArmsWhatWasShown(t *testing.T) {
	pid, pidfile := sleeper(t)
	run := &capturingRunner{}
	m, err := NewManager(localInventory(), nil, filepath.Join(t.TempDir(), "ledger.jsonl"), WithRunner(run))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	pv, err := m.Preview(ctx, Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	run.mu.Lock()
	run.scripts = nil
	run.mu.Unlock()
	a, err := m.ArmPlan(ctx, pv)
	if err != nil {
		t.Fatalf("ArmPlan: %v", err)
	}
	defer m.Revert(ctx, a.ID)
	if a.ID != pv.ID {
		t.Errorf("armed as %s, the preview showed %s", a.ID, pv.ID)
	}
	h := pv.Hosts[0]
	want := shown(h.Detect, h.Guard, h.Inject, h.Verify)
	run.mu.Lock()
	var got []string
	for _, script := range run.scripts {
		// The guard, inject and verify steps go as one batch.
		got = append(got, BatchSteps(script)...)
	}
	run.mu.Unlock()
	if len(run.scripts) != 2 {
		t.Errorf("the host ran %d scripts, want 2: the detect step, then the guard, inject and verify steps in one batch", len(run.scripts))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the host ran:\n%s\nthe preview showed:\n%s", strings.Join(got, "\n----\n"), strings.Join(want, "\n----\n"))
	}
	if !strings.Contains(strings.Join(want, "\n"), pv.ID) {
		t.Errorf("the previewed commands do not name the fault ID %s: the test proves nothing", pv.ID)
	}
	if st := procStateOf(t, pid); st != "T" {
		t.Errorf("armed, yet the process is in state %q, want T", st)
	}
	if _, err := m.ArmPlan(ctx, pv); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("ArmPlan of the same plan again: %v, want a refusal", err)
	}
}

// TestArmPlanShowsAChangedPlanFirst: a selector that names another host
// by the time of the confirmation arms nothing; the new plan, same ID,
// comes back to be shown, and arms once confirmed.
func TestArmPlanShowsAChangedPlanFirst(t *testing.T) {
	inv := &targets.Inventory{Hosts: []targets.Host{{Name: "m1", Address: "m1", Tags: []string{"mem", "target"}}, {Name: "m2", Address: "m2", Tags: []string{"mem"}}}}
	m, err := NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	pv, err := m.Preview(ctx, Request{Kind: "pause", Hosts: []string{"tag:target"}, TTL: time.Minute})
	if err != nil || !slices.Equal(pv.Request.Hosts, []string{"m1"}) {
		t.Fatalf("Preview = %v, %v; want m1", pv.Request.Hosts, err)
	}
	inv.Hosts[0].Tags, inv.Hosts[1].Tags = []string{"mem"}, []string{"mem", "target"}
	_, err = m.ArmPlan(ctx, pv)
	var changed *PlanChangedError
	if !errors.As(err, &changed) || !errors.Is(err, ErrPlanChanged) {
		t.Fatalf("ArmPlan after the selector moved: %v, want the changed plan", err)
	}
	if changed.Now.ID != pv.ID || !slices.Equal(changed.Now.Request.Hosts, []string{"m2"}) {
		t.Errorf("the changed plan: %s on %v, want %s on m2", changed.Now.ID, changed.Now.Request.Hosts, pv.ID)
	}
	if memIsSet("m1", "pause-"+pv.ID) || memIsSet("m2", "pause-"+pv.ID) {
		t.Fatalf("a changed plan armed something")
	}
	if all, _ := m.List(false); len(all) != 0 {
		t.Errorf("a changed plan left ledger entries: %+v", all)
	}
	a, err := m.ArmPlan(ctx, changed.Now)
	if err != nil {
		t.Fatalf("ArmPlan of the new plan: %v", err)
	}
	defer m.Revert(ctx, a.ID)
	if a.ID != pv.ID || !memIsSet("m2", "pause-"+pv.ID) || memIsSet("m1", "pause-"+pv.ID) {
		t.Errorf("armed %s; m2 holds it %v, m1 %v; want %s on m2 only", a.ID, memIsSet("m2", "pause-"+pv.ID), memIsSet("m1", "pause-"+pv.ID), pv.ID)
	}
}
