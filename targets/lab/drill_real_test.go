package lab_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/timeline"
)

// cassandraDrill runs the example drill examples/drills/cassandra-node.yaml
// (#16's acceptance on the full lab) on the running world, through the
// drills runner, the world's fault manager and recorder: a seed that
// picks the kill of cassandra-1, armed 1 s after the start. The node
// dies and stops answering when armed; a trainee declares it, the
// trainer confirms the mitigation, the fault is reverted and the node
// runs and answers again; the score has the scenario and the trainee's
// right diagnosis. The pause and the partition go through the same
// runner and manager (drills TestRunnerOnLab, and the scenarios above).
//
// Opt-in (GAMEDAY_REAL_DRILL=1). Its revert restarts a Cassandra JVM:
// on 27 Nov that outlasted the fault manager's 60 s host bound; a lab JVM
// start now has the lab's own bound on top (inject's hostBounds,
// labapi.JVMStartBound). Runs on 28 Nov: one failed at the lab's former
// 3 min start bound (load ~45), one passed (restart 115.6 s, subtest
// 118 s, load ~45). It stays out of make test-real until it has passed
// twice and CI's 30 min budget is settled with the SSH scenarios.
func cassandraDrill(t *testing.T, w *world) {
	if os.Getenv("GAMEDAY_REAL_DRILL") != "1" {
		t.Skip("the Cassandra drill on the full lab: set GAMEDAY_REAL_DRILL=1 (adds ~2 min: its revert restarts a Cassandra JVM)")
	}
	w.t = t
	var vars []yamldoc.Var
	for _, s := range []string{"from=1s", "to=1s", "lasts=2m"} {
		v, err := yamldoc.VarFlag(s)
		if err != nil {
			t.Fatal(err)
		}
		vars = append(vars, v)
	}
	dr, err := drills.Load(filepath.Join("..", "..", "examples", "drills", "cassandra-node.yaml"), vars...)
	if err != nil {
		t.Fatal(err)
	}
	hosts := runbooks.InventoryHosts{Inv: w.inv}
	// The arm, then the revert: a restart of a Cassandra JVM, bounded by
	// the lab's start bound on top of the manager's host bound.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute+inject.DefaultHostTimeout+labapi.JVMStartBound)
	defer cancel()
	if err := dr.Check(ctx, drills.Env{Hosts: hosts, Faults: w.m}); err != nil {
		t.Fatal(err)
	}
	seed := uint64(1)
	for drills.NewPlan(dr, seed).Picks[0].Kind != "kill" {
		seed++
	}
	plan := drills.NewPlan(dr, seed)
	victim := plan.Picks[0].Hosts[0]
	node := func() labapi.NodeStatus {
		i := slices.IndexFunc(w.l.Nodes(), func(n labapi.NodeStatus) bool { return n.Name == victim })
		if i < 0 {
			t.Fatalf("no lab node %s", victim)
		}
		return w.l.Nodes()[i]
	}
	if n := node(); n.State != labapi.StateRunning || !lab.Dials(n.Listen) {
		t.Fatalf("%s before the drill: %+v, want running and answering", victim, n)
	}

	began := time.Now()
	r := &drills.Runner{Drill: dr, Plan: plan, Faults: w.m, Recorder: w.rec, Hosts: hosts, Inv: w.inv, Trainer: "tom"}
	done := make(chan drills.Result, 1)
	go func() {
		res, err := r.Run(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	for _, armed := r.Scenario(); !armed; _, armed = r.Scenario() {
		select {
		case res := <-done:
			t.Fatalf("the drill ended before its fault was armed: %+v (seed %d: %s)", res, seed, plan)
		case <-ctx.Done():
			t.Fatalf("the drill's fault not armed: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	armedAt := time.Now()
	// Armed means verified: the lab's view and the CQL port say so now.
	if n := node(); n.State != labapi.StateStopped || lab.Dials(n.Listen) {
		t.Errorf("%s once the kill was armed: %+v, want stopped and not answering", victim, n)
	}
	figure(t, "drill seed %d: kill of %s armed %s after the drill's start", seed, victim, secs(armedAt.Sub(began)))

	for _, err := range []error{
		r.Diagnose("dave", []string{victim}, "kill", "no answer from "+victim),
		r.Mitigated("dave", "started "+victim+" again"),
		r.Confirm("tom", "dave"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var res drills.Result
	select {
	case res = <-done:
	case <-ctx.Done():
		t.Fatalf("the drill did not end after the confirmed mitigation: %v", ctx.Err())
	}
	if res.Reason != "finished" || res.Armed != 1 || res.RevertErr != nil {
		if res.RevertErr != nil {
			logTail(t, res.RevertErr)
		}
		t.Fatalf("drill result %+v", res)
	}
	// Reverted means verified too: the node runs and answers again.
	if n := node(); n.State != labapi.StateRunning || !lab.Dials(n.Listen) {
		t.Errorf("%s after the revert: %+v, want running and answering", victim, n)
	}
	figure(t, "drill: %s back and answering %s after the confirmed mitigation", victim, secs(time.Since(armedAt)))
	if active, err := w.m.List(true); err != nil || len(active) != 0 {
		t.Errorf("faults still active after the drill: %+v (%v)", active, err)
	}

	// The score: from the world's events, as the report computes it,
	// once the world's subscriber has the drill's end.
	var events []timeline.Event
	for end := false; !end; {
		w.mu.Lock()
		events = slices.DeleteFunc(slices.Clone(w.events), func(e timeline.Event) bool { return e.Time.Before(began) })
		w.mu.Unlock()
		end = slices.ContainsFunc(events, func(e timeline.Event) bool { return e.Kind == drills.KindEnd })
		select {
		case <-ctx.Done():
			t.Fatalf("drill.end not among the recorded events: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	b, ok := drills.Scored(events)
	if !ok || !b.Ended || len(b.Scenarios) != 1 || !b.Scenarios[0].Armed || b.Scenarios[0].Kind != "kill" || !slices.Equal(b.Scenarios[0].Hosts, []string{victim}) {
		t.Fatalf("board %+v", b)
	}
	if len(b.Rows) != 1 || b.Rows[0].Trainee != "dave" || b.Rows[0].Diagnosis != drills.GradeRight || !b.Rows[0].Mitigated || b.Rows[0].Wrong != 0 {
		t.Errorf("score rows %+v\n%s", b.Rows, b.Table())
	}
	var md strings.Builder
	if err := drills.WriteReport(&md, events); err != nil || !strings.Contains(md.String(), "scenario 1 (one node): kill on "+victim) {
		t.Errorf("the drill report (%v) lacks the scenario:\n%s", err, md.String())
	}
}

// logTail logs the last lines of the node log an error names ("(log:
// PATH)"): what a JVM did while it did not become ready, before the
// test's temporary directory goes.
func logTail(t *testing.T, err error) {
	m := regexp.MustCompile(`\(log: ([^)]+)\)`).FindStringSubmatch(err.Error())
	if m == nil {
		return
	}
	b, rerr := os.ReadFile(m[1])
	if rerr != nil {
		t.Logf("read %s: %v", m[1], rerr)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	t.Logf("last lines of %s:\n%s", m[1], strings.Join(lines[max(0, len(lines)-40):], "\n"))
}
