package drills

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/timeline"
)

// TestRunnerOnLab runs drills on a real lab through a real fault manager
// (ledger first, TTL guards): the shipped Redis drill with a seed that
// picks the kill of the master, declared and confirmed mitigated — the
// node dies, then runs again after the confirmation —, a pause stopped
// half-way, which is reverted all the same, and the shipped Kafka drill's
// two incidents one after the other, each reverted when its time is up. Only the clock is the test's,
// so the drill's minutes take none.
func TestRunnerOnLab(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab; skipped with -short")
	}
	dir := t.TempDir()
	l, err := lab.Start(context.Background(), lab.Options{Dir: filepath.Join(dir, "lab")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Error(err)
		}
	})
	inv := l.Inventory()
	ledger := filepath.Join(dir, "ledger.jsonl")
	node := func(name string) labapi.NodeStatus {
		t.Helper()
		nodes, err := labapi.NewClient(inv.Lab.Control, inv.Lab.Dir).Nodes(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			if n.Name == name {
				return n
			}
		}
		t.Fatalf("no lab node %s", name)
		return labapi.NodeStatus{}
	}
	nodeState := func(name string) string { return node(name).State }
	nodeCut := func(name string) bool { return node(name).Cut }
	// start opens a journal, a recorder on the test's clock and a real
	// fault manager, and runs dr with plan.
	type run struct {
		r       *Runner
		clk     *fakeClock
		rec     *timeline.Recorder
		journal string
		done    chan Result
		mgr     *inject.Manager
	}
	start := func(t *testing.T, dr *Drill, plan Plan) *run {
		journal := filepath.Join(t.TempDir(), "drill.jsonl")
		j, err := timeline.OpenJournal(journal)
		if err != nil {
			t.Fatal(err)
		}
		clk := newFakeClock()
		rec := timeline.NewRecorder(timeline.WithSink(j))
		mgr, err := inject.NewManager(inv, rec, ledger)
		if err != nil {
			t.Fatal(err)
		}
		hosts := runbooks.InventoryHosts{Inv: inv}
		if err := dr.Check(context.Background(), Env{Hosts: hosts, Faults: mgr}); err != nil {
			t.Fatal(err)
		}
		x := &run{r: &Runner{Drill: dr, Plan: plan, Faults: mgr, Recorder: rec, Hosts: hosts, Inv: inv, Trainer: "tom", Clock: clk},
			clk: clk, rec: rec, journal: journal, done: make(chan Result, 1), mgr: mgr}
		t.Cleanup(func() {
			rec.Close()
			j.Close()
			mgr.Close()
		})
		return x
	}
	// armed advances the clock to the pick's moment and waits until the
	// fault is armed, returning its drill.scenario data.
	armed := func(t *testing.T, x *run, ctx context.Context) ScenarioData {
		sub := x.rec.Subscribe(1 << 12)
		defer sub.Close()
		go func() {
			res, err := x.r.Run(ctx)
			if err != nil {
				t.Error(err)
			}
			x.done <- res
		}()
		<-x.clk.waiting
		x.clk.Advance(x.r.Plan.Picks[0].ArmAfter.D())
		for e := range sub.C() {
			var d ScenarioData
			if e.Kind == KindScenario && e.Decode(&d) == nil && d.Phase != PhaseBegin {
				if d.Phase != PhaseArmed {
					t.Fatalf("scenario %s: %s", d.Phase, d.Error)
				}
				<-x.clk.waiting // the runner waits for the end
				return d
			}
		}
		t.Fatal("no drill.scenario armed event")
		return ScenarioData{}
	}
	noFaultLeft := func(t *testing.T, x *run) {
		active, err := x.mgr.List(true)
		if err != nil || len(active) != 0 {
			t.Errorf("faults still active: %+v (%v)", active, err)
		}
	}

	t.Run("kill the master, confirmed mitigation", func(t *testing.T) {
		dr, err := Load(filepath.Join("..", "examples", "drills", "redis-cache.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		seed := uint64(0)
		for NewPlan(dr, seed).Picks[0].Kind != "kill" {
			seed++
		}
		x := start(t, dr, NewPlan(dr, seed))
		d := armed(t, x, context.Background())
		if d.Kind != "kill" || len(d.Hosts) != 1 {
			t.Fatalf("armed %+v", d)
		}
		victim := d.Hosts[0]
		if s := nodeState(victim); s == labapi.StateRunning {
			t.Fatalf("%s is %s after the kill was armed", victim, s)
		}
		if err := x.r.Diagnose("alice", []string{victim}, "kill", "the master died"); err != nil {
			t.Fatal(err)
		}
		if err := x.r.Mitigated("alice", "restart it"); err != nil {
			t.Fatal(err)
		}
		if err := x.r.Confirm("tom", "alice"); err != nil {
			t.Fatal(err)
		}
		res := <-x.done
		if res.Reason != "finished" || res.Armed != 1 {
			t.Fatalf("result %+v", res)
		}
		if s := nodeState(victim); s != labapi.StateRunning {
			t.Errorf("%s is %s after the confirmed mitigation, want running", victim, s)
		}
		noFaultLeft(t, x)
		x.rec.Close()
		events, _, err := timeline.LoadJournal(x.journal)
		if err != nil {
			t.Fatal(err)
		}
		// The fault went the way every fault goes: armed and reverted by
		// the manager, under the ID the drill recorded.
		var kinds []timeline.Kind
		for _, e := range events {
			var f struct {
				FaultID string `json:"fault_id"`
			}
			if e.Decode(&f) == nil && f.FaultID == d.FaultID && (e.Kind == timeline.FaultArmed || e.Kind == timeline.FaultReverted) {
				kinds = append(kinds, e.Kind)
			}
		}
		if !slices.Equal(kinds, []timeline.Kind{timeline.FaultArmed, timeline.FaultReverted}) {
			t.Errorf("fault %s events: %v", d.FaultID, kinds)
		}
		b := Score(events)
		if len(b.Rows) != 1 || b.Rows[0].Trainee != "alice" || b.Rows[0].Diagnosis != GradeRight || !b.Rows[0].Mitigated || !b.Rows[0].Detected {
			t.Errorf("board:\n%s%s", b.Truths(), b.Table())
		}
		t.Logf("seed %d\n%s%s", seed, b.Truths(), b.Table())
	})

	t.Run("stop while paused", func(t *testing.T) {
		dr, err := Load(filepath.Join("testdata", "lab-pause.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		x := start(t, dr, NewPlan(dr, 1))
		ctx, stop := context.WithCancel(context.Background())
		d := armed(t, x, ctx)
		if s := nodeState("redis-3"); s != labapi.StatePaused {
			t.Fatalf("redis-3 is %s after the pause was armed", s)
		}
		stop()
		res := <-x.done
		if res.Reason != EndStopped || res.RevertErr != nil {
			t.Fatalf("result %+v", res)
		}
		if s := nodeState("redis-3"); s != labapi.StateRunning {
			t.Errorf("redis-3 is %s after the drill stopped, want running", s)
		}
		noFaultLeft(t, x)
		x.rec.Close()
		events, _, err := timeline.LoadJournal(x.journal)
		if err != nil {
			t.Fatal(err)
		}
		var end EndData
		for _, e := range events {
			if e.Kind == KindEnd {
				if err := e.Decode(&end); err != nil {
					t.Fatal(err)
				}
			}
		}
		if end.Reason != EndStopped || end.Plan.Seed != 1 {
			t.Errorf("drill.end %+v", end)
		}
		if got := Score(events).Truths(); got != fmt.Sprintf("scenario 1: pause on redis-3 (fault %s), armed 1s after its start, ended after 0s: stopped\n", d.FaultID) {
			t.Errorf("truths: %s", got)
		}
	})

	t.Run("two broker incidents, time up each", func(t *testing.T) {
		dr, err := Load(filepath.Join("..", "examples", "drills", "kafka-broker.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		x := start(t, dr, NewPlan(dr, 3))
		sub := x.rec.Subscribe(1 << 12)
		defer sub.Close()
		go func() {
			res, err := x.r.Run(context.Background())
			if err != nil {
				t.Error(err)
			}
			x.done <- res
		}()
		var cut []string
		for i, pick := range x.r.Plan.Picks {
			<-x.clk.waiting // the scenario waits for its moment
			x.clk.Advance(pick.ArmAfter.D())
			var d *ScenarioData
			for e := range sub.C() {
				if p := payload[ScenarioData](e); e.Kind == KindScenario && p != nil && p.Scenario == i && p.Phase != PhaseBegin {
					d = p
					break
				}
			}
			if d == nil || d.Phase != PhaseArmed || d.Kind != "partition" || len(d.Hosts) != 1 {
				t.Fatalf("scenario %d: %+v", i+1, d)
			}
			<-x.clk.waiting // armed; waits for its end
			if !nodeCut(d.Hosts[0]) {
				t.Errorf("scenario %d: %s is not cut off while armed", i+1, d.Hosts[0])
			}
			cut = append(cut, d.Hosts[0])
			x.clk.Advance(pick.Lasts.D())
		}
		res := <-x.done
		if res.Reason != "finished" || res.Armed != 2 {
			t.Fatalf("result %+v", res)
		}
		for _, b := range cut {
			if nodeCut(b) {
				t.Errorf("%s still cut off after the drill", b)
			}
		}
		noFaultLeft(t, x)
		x.rec.Close()
		events, _, err := timeline.LoadJournal(x.journal)
		if err != nil {
			t.Fatal(err)
		}
		b := Score(events)
		if len(b.Scenarios) != 2 || b.Scenarios[0].Reason != EndTimeUp || b.Scenarios[1].Reason != EndTimeUp || !b.Ended {
			t.Errorf("board:\n%s", b.Truths())
		}
		t.Logf("seed 3:\n%s", b.Truths())
	})
}
