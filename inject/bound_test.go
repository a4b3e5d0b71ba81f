package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// TestHostBoundsFitTheExecutor: a host's part of an arm or a revert is
// bounded by the Manager's host bound, plus the lab's own start bound for
// each start of a lab JVM node its executor runs at that lab (the lab runs
// one action at a time, so two nodes' starts add up); SSH steps, Redis
// starts and a pause's revert keep the host bound alone.
func TestHostBoundsFitTheExecutor(t *testing.T) {
	inv := planInventory()
	for _, n := range []string{"cass-1", "cass-2"} {
		inv.Hosts = append(inv.Hosts, targets.Host{Name: n, Address: "127.0.0.1", Lab: &targets.LabNode{Kind: labapi.KindCassandra}})
	}
	m, err := NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	plan := func(kind string, params map[string]string, hosts ...string) *plan {
		t.Helper()
		p, err := m.plan(t.Context(), Request{Kind: kind, Params: params, Hosts: hosts}, "0123abcd", false)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	arm := func(hp hostPlan) []Step {
		return slices.Concat([]Step{hp.guardStart}, hp.steps.Inject, hp.steps.Verify)
	}
	revert := func(hp hostPlan) []Step {
		return slices.Concat(hp.steps.Revert, hp.steps.VerifyGone, []Step{hp.guardCancel})
	}
	host, start := DefaultHostTimeout, labapi.JVMStartBound
	tests := map[string]struct {
		parts []hostPart
		want  []time.Duration
	}{
		"kill of a Cassandra node: its arm":      {plan("kill", nil, "cass-1").parts(arm), []time.Duration{host}},
		"kill of a Cassandra node: its revert":   {plan("kill", nil, "cass-1").parts(revert), []time.Duration{host + start}},
		"stop of a Cassandra node: its revert":   {plan("stop", nil, "cass-1").parts(revert), []time.Duration{host + start}},
		"pause of a Cassandra node: its revert":  {plan("pause", nil, "cass-1").parts(revert), []time.Duration{host}},
		"two Cassandra nodes' starts add up":     {plan("kill", nil, "cass-1", "cass-2").parts(revert), []time.Duration{host + 2*start, host + 2*start}},
		"kill of a Redis node: its revert":       {plan("kill", nil, "redis-1").parts(revert), []time.Duration{host}},
		"kill over SSH: its revert":              {plan("kill", map[string]string{"unit": "cassandra"}, "db1").parts(revert), []time.Duration{host}},
		"SSH beside a lab start keeps its bound": {slices.Concat(plan("kill", map[string]string{"unit": "cassandra"}, "db1").parts(revert), plan("kill", nil, "cass-1").parts(revert)), []time.Duration{host, host + start}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			bound := m.hostBounds(tc.parts)
			for i, want := range tc.want {
				if got := bound(i); got != want {
					t.Errorf("host %s: bound %s, want %s", tc.parts[i].host.Name, got, want)
				}
			}
		})
	}

	// Two labs run their actions apart: one's starts do not lengthen the
	// other's bound.
	other := plan("kill", nil, "cass-2").parts(revert)
	other[0].at = execKey("lab", map[string]string{"control": "127.0.0.1:2", "dir": "/tmp/other-lab"})
	parts := slices.Concat(plan("kill", nil, "cass-1").parts(revert), other)
	if b := m.hostBounds(parts); b(0) != host+start || b(1) != host+start {
		t.Errorf("two labs' starts: bounds %s and %s, want %s each", b(0), b(1), host+start)
	}
}

// The "bounded" executor below is hosts in this test's memory whose
// revert is a slow step ("start") with its own bound, recording the
// deadline each step ran under; a host tagged "hangs" never finishes its
// start.

// boundedSlow is the extra bound of a bounded host's start; a host that
// hangs has a short one, to keep the test quick.
const boundedSlow, hangsSlow = 5 * time.Minute, time.Second

var bounded = struct {
	mu       sync.Mutex
	set      map[string]bool      // host: the fault is in place
	deadline map[string]time.Time // host/op: the deadline its step ran under
}{set: map[string]bool{}, deadline: map[string]time.Time{}}

type boundedExecutor struct{}

func init() {
	registerExecutor(executorDef{
		name: "bounded", order: 6, reach: "in the test's memory, with a slow start",
		serves: func(h targets.Host) bool { return slices.Contains(h.Tags, "bounded") },
		open:   func(*execEnv, map[string]string) (Executor, error) { return boundedExecutor{}, nil },
	})
}

func boundedStep(op string) Step {
	b, _ := json.Marshal(op)
	return Step{Name: "bounded " + op, Action: b}
}

func (boundedExecutor) Via() map[string]string { return nil }

func (boundedExecutor) Plan(context.Context, Fault, PlanTarget) (Steps, error) {
	return Steps{Inject: []Step{boundedStep("set")}, Verify: []Step{boundedStep("is-set")},
		Revert: []Step{boundedStep("start")}, VerifyGone: []Step{boundedStep("is-clear")}}, nil
}

func (boundedExecutor) Guard(Guard) (start, cancel Step) {
	return boundedStep("guard"), boundedStep("unguard")
}

func (boundedExecutor) StepBound(h targets.Host, s Step) time.Duration {
	switch {
	case s.Name != "bounded start":
		return 0
	case slices.Contains(h.Tags, "hangs"):
		return hangsSlow
	}
	return boundedSlow
}

func (boundedExecutor) Run(ctx context.Context, h targets.Host, s Step) error {
	var op string
	if err := json.Unmarshal(s.Action, &op); err != nil {
		return err
	}
	d, ok := ctx.Deadline()
	if !ok {
		return fmt.Errorf("host %s: %s without a deadline", h.Name, op)
	}
	bounded.mu.Lock()
	bounded.deadline[h.Name+"/"+op] = d
	bounded.mu.Unlock()
	if op == "start" && slices.Contains(h.Tags, "hangs") {
		<-ctx.Done()
		return fmt.Errorf("host %s: start: %w", h.Name, ctx.Err())
	}
	bounded.mu.Lock()
	defer bounded.mu.Unlock()
	switch op {
	case "set":
		bounded.set[h.Name] = true
	case "start":
		delete(bounded.set, h.Name)
	case "is-set", "is-clear":
		if bounded.set[h.Name] != (op == "is-set") {
			return fmt.Errorf("host %s: %s: no", h.Name, op)
		}
	}
	return nil
}

func (boundedExecutor) GuardOutcome(context.Context, targets.Host, Guard) (GuardOutcome, error) {
	return GuardOutcome{}, nil
}

// TestASlowRevertGetsItsExecutorsBound: through the Manager, a host's arm
// runs under the host bound and its revert, whose start is a slow step,
// under the host bound plus the start's own (both hosts' starts, by one
// executor); the fault is reverted once verified gone. A start that never
// ends fails the revert when its bound passes: the fault stays active,
// not "reverted".
func TestASlowRevertGetsItsExecutorsBound(t *testing.T) {
	inv := &targets.Inventory{Hosts: []targets.Host{
		{Name: "b1", Address: "b1", Tags: []string{"bounded"}},
		{Name: "b2", Address: "b2", Tags: []string{"bounded"}},
		{Name: "b3", Address: "b3", Tags: []string{"bounded", "hangs"}},
	}}
	deadline := func(key string) time.Time {
		bounded.mu.Lock()
		defer bounded.mu.Unlock()
		return bounded.deadline[key]
	}
	// within says that a deadline set between from and to was bound past
	// its start.
	within := func(key string, from, to time.Time, bound time.Duration) {
		t.Helper()
		if d := deadline(key); d.Before(from.Add(bound)) || d.After(to.Add(bound)) {
			t.Errorf("%s ran under a deadline %s after its start, want %s", key, d.Sub(from).Round(time.Second), bound)
		}
	}

	t.Run("verified revert", func(t *testing.T) {
		m, err := NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		before := time.Now()
		a, err := m.Arm(ctx, Request{Kind: "kill", Hosts: []string{"b1", "b2"}, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		within("b1/set", before, time.Now(), DefaultHostTimeout)
		before = time.Now()
		got, err := m.Revert(ctx, a.ID)
		if err != nil || got.State != StateReverted {
			t.Fatalf("Revert = %s, %v; want reverted", got.State, err)
		}
		for _, h := range []string{"b1", "b2"} {
			within(h+"/start", before, time.Now(), DefaultHostTimeout+2*boundedSlow)
			within(h+"/is-clear", before, time.Now(), DefaultHostTimeout+2*boundedSlow)
		}
	})

	t.Run("a start that never ends", func(t *testing.T) {
		const host = time.Second
		m, err := NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"), WithHostTimeout(host))
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		a, err := m.Arm(ctx, Request{Kind: "kill", Hosts: []string{"b3"}, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		got, err := m.Revert(ctx, a.ID)
		if !errors.Is(err, context.DeadlineExceeded) || got.State != StateFailed || !got.Active {
			t.Fatalf("Revert of a hung start = %s (active %v), %v; want failed, still active, past its deadline", got.State, got.Active, err)
		}
		within("b3/start", before, time.Now(), host+hangsSlow)
	})
}
