package drills

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// TestPlan: a seed is a plan — the same seed, the same picks and moments,
// also after the plan went through the journal — and over many seeds
// every candidate is picked and every moment falls in its window, on a
// whole second.
func TestPlan(t *testing.T) {
	dr, err := Load(filepath.Join("testdata", "score.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	picked := map[[2]int]int{}
	moments := map[time.Duration]bool{}
	for seed := uint64(0); seed < 300; seed++ {
		p := NewPlan(dr, seed)
		if q := NewPlan(dr, seed); !reflect.DeepEqual(p, q) {
			t.Fatalf("seed %d gave two plans:\n%s\n%s", seed, p, q)
		}
		for i, k := range p.Picks {
			s := dr.Scenarios[i]
			at := k.ArmAfter.D()
			if at < s.Window.From || at > s.Window.To || at%time.Second != 0 {
				t.Fatalf("seed %d: %s armed at %s, outside %s–%s or not on a second", seed, k.Label(), at, s.Window.From, s.Window.To)
			}
			if k.Of != len(s.Candidates) || k.Kind != s.Candidates[k.Candidate].Kind || k.Lasts.D() != s.Lasts || k.TTL.D() != s.TTL {
				t.Fatalf("seed %d: pick %+v does not match scenario %+v", seed, k, s)
			}
			picked[[2]int{i, k.Candidate}]++
			if i == 0 {
				moments[at] = true
			}
		}
	}
	for i, s := range dr.Scenarios {
		for c := range s.Candidates {
			if picked[[2]int{i, c}] < 50 {
				t.Errorf("scenario %d candidate %d picked %d times in 300 seeds", i, c, picked[[2]int{i, c}])
			}
		}
	}
	if len(moments) < 100 {
		t.Errorf("only %d distinct moments in a 3-minute window over 300 seeds", len(moments))
	}

	// The plan as the journal keeps it is the plan.
	p := NewPlan(dr, 42)
	e := timeline.NewEvent(KindPlan, "drill", "plan").WithData(p)
	var back Plan
	if err := e.Decode(&back); err != nil || !reflect.DeepEqual(back, p) {
		t.Errorf("plan through the journal: %+v (%v), want %+v", back, err, p)
	}
	const want = `drill score, seed 42
scenario 1 (cache): pause on redis-2 — armed 2m29s after its start for 5m0s (candidate 2 of 3)
scenario 2 (broker): partition on kafka-2 — armed 36s after its start for 3m0s (candidate 2 of 2)
`
	if got := p.String(); got != want {
		t.Errorf("plan\n got %s\nwant %s", got, want)
	}
}
