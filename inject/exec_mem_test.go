package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// This file is a whole third executor: hosts that live in this test's
// memory, with guards held by timers. That it needs nothing but this file
// — no edit of the Manager, the ledger or the other executors — is what
// TestAThirdExecutorIsOneFile shows.

// memState is every in-memory host: the faults in place, the hosts whose
// reverts fail, the guards armed and what the fired ones found.
type memState struct {
	mu       sync.Mutex
	set      map[string]bool // host/key
	stuck    map[string]bool // host: reverts fail
	guards   map[string]*time.Timer
	outcomes map[string]GuardOutcome
	at       map[string]time.Time // host/op/key: when the step began
}

var mem = &memState{set: map[string]bool{}, stuck: map[string]bool{}, guards: map[string]*time.Timer{}, outcomes: map[string]GuardOutcome{}, at: map[string]time.Time{}}

type memExecutor struct{}

func init() {
	registerExecutor(executorDef{
		name: "mem", order: 5, reach: "in the test's memory",
		serves: func(h targets.Host) bool { return slices.Contains(h.Tags, "mem") },
		open:   func(*execEnv, map[string]string) (Executor, error) { return memExecutor{}, nil },
	})
}

// memOp is one step: set, clear or check a key; arm or cancel a guard.
type memOp struct {
	Op     string        `json:"op"`
	Key    string        `json:"key,omitempty"`
	TTL    time.Duration `json:"ttl,omitempty"`
	Revert []Step        `json:"revert,omitempty"`
	Verify []Step        `json:"verify,omitempty"`
}

func memStep(o memOp) Step {
	b, _ := json.Marshal(o)
	return Step{Name: "mem " + o.Op + " " + o.Key, Action: b}
}

func (memExecutor) Via() map[string]string { return nil }

func (memExecutor) Plan(_ context.Context, f Fault, t PlanTarget) (Steps, error) {
	k := f.Kind() + "-" + t.ID
	return Steps{Inject: []Step{memStep(memOp{Op: "set", Key: k})}, Verify: []Step{memStep(memOp{Op: "is-set", Key: k})},
		Revert: []Step{memStep(memOp{Op: "clear", Key: k})}, VerifyGone: []Step{memStep(memOp{Op: "is-clear", Key: k})}}, nil
}

func (memExecutor) Guard(g Guard) (start, cancel Step) {
	id := g.Fault + "-" + g.Host
	return memStep(memOp{Op: "guard", Key: id, TTL: g.TTL, Revert: g.Revert, Verify: g.VerifyGone}), memStep(memOp{Op: "unguard", Key: id})
}

func (x memExecutor) Run(_ context.Context, h targets.Host, s Step) error {
	var o memOp
	if err := json.Unmarshal(s.Action, &o); err != nil {
		return err
	}
	mem.mu.Lock()
	defer mem.mu.Unlock()
	return x.apply(h, o)
}

// apply runs o on h; mem.mu is held.
func (x memExecutor) apply(h targets.Host, o memOp) error {
	k := h.Name + "/" + o.Key
	mem.at[h.Name+"/"+o.Op+"/"+o.Key] = time.Now()
	switch o.Op {
	case "set":
		mem.set[k] = true
	case "clear":
		if mem.stuck[h.Name] {
			return fmt.Errorf("host %s: clear %s: the host refuses", h.Name, o.Key)
		}
		delete(mem.set, k)
	case "is-set", "is-clear":
		if mem.set[k] != (o.Op == "is-set") {
			return fmt.Errorf("host %s: %s %s: no", h.Name, o.Op, o.Key)
		}
	case "guard":
		mem.guards[o.Key] = time.AfterFunc(o.TTL, func() {
			mem.mu.Lock()
			defer mem.mu.Unlock()
			out := GuardOutcome{Fired: true, Verified: true}
			for _, s := range append(append([]Step{}, o.Revert...), o.Verify...) {
				var so memOp
				json.Unmarshal(s.Action, &so)
				if err := x.apply(h, so); err != nil && out.Verified {
					out.Verified, out.Why = false, err.Error()
				}
			}
			mem.outcomes[o.Key] = out
		})
	case "unguard":
		if t := mem.guards[o.Key]; t != nil {
			t.Stop()
		}
		delete(mem.guards, o.Key)
	default:
		return errors.New("unknown op " + o.Op)
	}
	return nil
}

func (memExecutor) GuardOutcome(_ context.Context, _ targets.Host, g Guard) (GuardOutcome, error) {
	mem.mu.Lock()
	defer mem.mu.Unlock()
	return mem.outcomes[g.Fault+"-"+g.Host], nil
}

func memIsSet(host, key string) bool {
	mem.mu.Lock()
	defer mem.mu.Unlock()
	return mem.set[host+"/"+key]
}

// TestAThirdExecutorIsOneFile arms, reverts and lets expire faults on
// hosts of the executor above, through the Manager as it is, and reverts
// from the ledger alone in a Manager without the inventory.
func TestAThirdExecutorIsOneFile(t *testing.T) {
	inv := &targets.Inventory{Hosts: []targets.Host{{Name: "m1", Address: "m1", Tags: []string{"mem"}}, {Name: "m2", Address: "m2", Tags: []string{"mem"}}}}
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	m, err := NewManager(inv, nil, path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	pv, err := m.Preview(ctx, Request{Kind: "pause", Hosts: []string{"m1"}})
	if err != nil || pv.Hosts[0].Executor != "mem" || !strings.HasPrefix(pv.Hosts[0].Inject[0], "mem set pause-") {
		t.Fatalf("Preview = %+v, %v; want the mem executor's plan", pv, err)
	}

	t.Run("arm and revert", func(t *testing.T) {
		a, err := m.Arm(ctx, Request{Kind: "pause", Hosts: []string{"m1", "m2"}, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if !memIsSet("m1", "pause-"+a.ID) || !memIsSet("m2", "pause-"+a.ID) {
			t.Fatalf("armed, yet the hosts do not hold the fault")
		}
		// Another process, without the inventory, reverts it.
		m2, err := NewManager(nil, nil, path)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := m2.Revert(ctx, a.ID); err != nil || got.State != StateReverted {
			t.Fatalf("Revert from the ledger alone = %s, %v", got.State, err)
		}
		if memIsSet("m1", "pause-"+a.ID) || memIsSet("m2", "pause-"+a.ID) {
			t.Errorf("reverted, yet a host still holds the fault")
		}
	})

	t.Run("the guard reverts and verifies", func(t *testing.T) {
		a, err := m.Arm(ctx, Request{Kind: "pause", Hosts: []string{"m1"}, TTL: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		waitExpiry(t, m, a)
		if got := find(t, m, a.ID); got.State != StateExpired || memIsSet("m1", "pause-"+a.ID) {
			t.Errorf("after the guard fired: %s (still set %v), want expired and gone", got.State, memIsSet("m1", "pause-"+a.ID))
		}
	})

	t.Run("a guard whose revert fails is not expired", func(t *testing.T) {
		mem.mu.Lock()
		mem.stuck["m2"] = true
		mem.mu.Unlock()
		defer func() { mem.mu.Lock(); delete(mem.stuck, "m2"); mem.mu.Unlock() }()
		a, err := m.Arm(ctx, Request{Kind: "pause", Hosts: []string{"m2"}, TTL: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		waitExpiry(t, m, a)
		got := find(t, m, a.ID)
		if got.State != StateExpiredFailed || got.Error == "" || got.PerHost["m2"] == "" {
			t.Fatalf("after a failed guard: %+v, want expired, revert failed with the reason", got)
		}
		if active, _ := m.List(true); len(active) != 1 || active[0].ID != a.ID {
			t.Errorf("a fault whose guard failed is not listed as active: %+v", active)
		}
		mem.mu.Lock()
		delete(mem.stuck, "m2")
		mem.mu.Unlock()
		if out, err := m.RevertAll(ctx); err != nil || len(out) != 1 || out[0].State != StateReverted || memIsSet("m2", "pause-"+a.ID) {
			t.Errorf("RevertAll after the host recovered = %+v, %v", out, err)
		}
	})
}

func waitExpiry(t *testing.T, m *Manager, a Armed) {
	t.Helper()
	time.Sleep(time.Until(a.Deadline) + 100*time.Millisecond)
	for i := 0; i < 50; i++ {
		if err := m.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := find(t, m, a.ID).State; s != StateArmed {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func find(t *testing.T, m *Manager, id string) Armed {
	t.Helper()
	all, err := m.List(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no fault %s", id)
	return Armed{}
}

// TestWhoArmedAndWhoRevertedIsKept: Request.By goes into the ledger and on
// the arm's events; RevertBy's person on the revert's.
func TestWhoArmedAndWhoRevertedIsKept(t *testing.T) {
	inv := &targets.Inventory{Hosts: []targets.Host{{Name: "m1", Address: "m1", Tags: []string{"mem"}}}}
	rec := timeline.NewRecorder()
	sub := rec.Subscribe(16)
	m, err := NewManager(inv, rec, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Arm(t.Context(), Request{Kind: "pause", Hosts: []string{"m1"}, TTL: time.Minute, By: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.RevertBy(t.Context(), a.ID, "bob")
	if err != nil || got.Request.By != "alice" || got.RevertedBy != "bob" {
		t.Fatalf("RevertBy = %+v, %v; want armed by alice, reverted by bob", got, err)
	}
	rec.Sync()
	want := map[timeline.Kind]string{timeline.FaultArming: "alice", timeline.FaultArmed: "alice", timeline.FaultReverted: "bob"}
	for len(sub.C()) > 0 {
		e := <-sub.C()
		if w, ok := want[e.Kind]; ok {
			if e.By != w {
				t.Errorf("%s event by %q, want %q", e.Kind, e.By, w)
			}
			delete(want, e.Kind)
		}
	}
	if len(want) > 0 {
		t.Errorf("events never seen: %v", want)
	}
}

// TestInjectedIsWhenTheFirstInjectStepBegan: fault.armed carries
// FaultData.Injected, the moment the first host's inject step began —
// after every guard it follows started, not after any host's inject.
func TestInjectedIsWhenTheFirstInjectStepBegan(t *testing.T) {
	inv := &targets.Inventory{Hosts: []targets.Host{{Name: "m1", Address: "m1", Tags: []string{"mem"}}, {Name: "m2", Address: "m2", Tags: []string{"mem"}}}}
	rec := timeline.NewRecorder()
	sub := rec.Subscribe(16)
	m, err := NewManager(inv, rec, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Arm(t.Context(), Request{Kind: "pause", Hosts: []string{"m1", "m2"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Revert(t.Context(), a.ID)
	rec.Sync()
	var armed *timeline.FaultData
	for len(sub.C()) > 0 {
		e := <-sub.C()
		switch e.Kind {
		case timeline.FaultArming:
			if !e.Fault().Injected.IsZero() {
				t.Errorf("fault.arming says injected at %s: nothing is injected yet", e.Fault().Injected)
			}
		case timeline.FaultArmed:
			armed = e.Fault()
		}
	}
	if armed == nil || armed.Injected.IsZero() {
		t.Fatalf("fault.armed without Injected: %+v", armed)
	}
	mem.mu.Lock()
	defer mem.mu.Unlock()
	key := "pause-" + a.ID
	var firstSet time.Time
	for _, h := range []string{"m1", "m2"} {
		guard, set := mem.at[h+"/guard/"+a.ID+"-"+h], mem.at[h+"/set/"+key]
		if guard.IsZero() || set.IsZero() {
			t.Fatalf("host %s: guard at %s, inject at %s", h, guard, set)
		}
		if firstSet.IsZero() || set.Before(firstSet) {
			firstSet = set
		}
	}
	if armed.Injected.After(firstSet) {
		t.Errorf("Injected %s is after the first inject step began (%s)", armed.Injected.Format(time.StampMicro), firstSet.Format(time.StampMicro))
	}
	// It is the first host's: no inject step began before it, and its
	// host's guard had started.
	started := false
	for _, h := range []string{"m1", "m2"} {
		if g := mem.at[h+"/guard/"+a.ID+"-"+h]; !g.After(armed.Injected) {
			started = true
		}
	}
	if !started {
		t.Errorf("Injected %s is before any guard started", armed.Injected.Format(time.StampMicro))
	}
}
