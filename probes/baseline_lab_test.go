package probes

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
	"github.com/gameday-dev/gameday/timeline"
)

// TestRealBaselineOnTheLab is #18's acceptance for gameday baseline, run
// in the long stage (make test-real, one package at a time, so that the
// machine's load does not change between the baseline and the check):
//
//   - on a lab slowed from the start (a Toxiproxy latency toxic of 20 ms
//     on every Redis node), a 30 s baseline proposes a redis.latency p99
//     bound above 20 ms;
//   - on the same lab without the toxic, the thresholds a 30 s baseline
//     proposes, written into the inventory, hold for 2 minutes of probes:
//     not one breach or error.
func TestRealBaselineOnTheLab(t *testing.T) {
	requireReal(t)
	l := labtest.Start(t, lab.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	var redis []string
	for _, n := range l.Nodes() {
		if n.Kind == "redis" {
			redis = append(redis, n.Name)
		}
	}
	toxic := func(op string) {
		t.Helper()
		for _, n := range redis {
			a := labapi.Action{Op: op, Node: n, Toxic: &labapi.Toxic{Name: "baseline-slow", Type: "latency", Attributes: map[string]int{"latency": 20}}}
			if _, err := l.Client().Do(ctx, false, a); err != nil {
				t.Fatalf("%s on %s: %v", op, n, err)
			}
		}
	}

	// Slowed from the start.
	toxic(labapi.OpToxicAdd)
	slow := baseline(ctx, t, l.InventoryPath())
	p := proposalFor(t, slow, "redis.latency", "p99")
	bound, err := targets.ParseThreshold(p.Proposed)
	if err != nil || bound.Value <= 20 {
		t.Fatalf("slowed lab: redis.latency p99 proposal %+v, want a bound above 20 ms", p)
	}
	t.Logf("slowed lab (20 ms toxic): redis.latency p99 median %.1fms worst %.1fms → %s", p.Median, p.Worst, p.Proposed)
	toxic(labapi.OpToxicRemove)

	// The lab as it is: baseline, write, then two minutes of probes.
	props := baseline(ctx, t, l.InventoryPath())
	for _, p := range props {
		t.Logf("%s %s %s: median %g worst %g → %s (%s; %s)", p.Probe, p.Target, p.Metric, p.Median, p.Worst, orDashT(p.Proposed), p.Verdict, p.Why)
	}
	data, err := os.ReadFile(l.InventoryPath())
	if err != nil {
		t.Fatal(err)
	}
	edited, err := targets.EditThresholds(l.InventoryPath(), data, Changes(props))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := targets.Parse(l.InventoryPath(), edited)
	if err != nil {
		t.Fatal(err)
	}
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(1 << 16)
	set, err := NewSet(inv, rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range set.Probes() {
		t.Logf("checking %s %s with %s", in.Probe, in.Target, strings.Join(in.Thresholds, ", "))
	}
	runCtx, stop := context.WithTimeout(ctx, 2*time.Minute+set.MaxWindow())
	defer stop()
	set.Run(runCtx)
	windows, bad := 0, 0
	for len(sub.C()) > 0 {
		ev := <-sub.C()
		switch ev.Kind {
		case timeline.ProbeWindow:
			windows++
		case timeline.ProbeBreach, timeline.ProbeError:
			bad++
			t.Errorf("%s: %s", ev.Kind, ev.Summary)
		}
	}
	t.Logf("2 minutes on the baseline's thresholds: %d windows, %d breaches or errors", windows, bad)
}

// baseline runs a 30 s baseline of the inventory at path.
func baseline(ctx context.Context, t *testing.T, path string) []Proposal {
	t.Helper()
	inv, err := targets.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(inv, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	props, err := set.Baseline(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return props
}

func proposalFor(t *testing.T, props []Proposal, probe, metric string) Proposal {
	t.Helper()
	for _, p := range props {
		if p.Probe == probe && p.Metric == metric {
			return p
		}
	}
	t.Fatalf("no %s %s proposal in %+v", probe, metric, props)
	return Proposal{}
}
