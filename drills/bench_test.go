package drills

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// BenchmarkScore scores a one-hour drill journal the way a live board
// re-scores a session's history: 3 trainees, 3 scenarios, 60 declarations,
// among 36,000 probe windows (10 probes reporting every second).
func BenchmarkScore(b *testing.B) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var events []timeline.Event
	add := func(at time.Duration, k timeline.Kind, data any) {
		e := timeline.NewEvent(k, "bench", "x").WithData(data)
		e.Time = t0.Add(at)
		events = append(events, e)
	}
	add(0, KindStart, StartData{Drill: "bench", Scenarios: 3})
	for s := 0; s < 3; s++ {
		base := time.Duration(s) * 20 * time.Minute
		add(base, KindScenario, ScenarioData{Scenario: s, Phase: PhaseBegin})
		add(base+2*time.Minute, KindScenario, ScenarioData{Scenario: s, Phase: PhaseArmed, FaultID: "f", Kind: "kill", Hosts: []string{"redis-1"}})
		for i := 0; i < 20; i++ {
			add(base+3*time.Minute+time.Duration(i)*10*time.Second, KindDiagnosis, DiagnosisData{Person: fmt.Sprint("t", i%3), Hosts: []string{"redis-1"}, Kind: "pause"})
		}
		add(base+15*time.Minute, KindScenario, ScenarioData{Scenario: s, Phase: PhaseEnd, Reason: EndTimeUp})
	}
	for i := 0; i < 36000; i++ {
		add(time.Duration(i)*100*time.Millisecond, timeline.ProbeWindow, map[string]any{"probe": "redis.latency", "status": "ok"})
	}
	b.ReportAllocs()
	for b.Loop() {
		if bd := Score(events); len(bd.Rows) != 9 {
			b.Fatal(bd.Table())
		}
	}
}

// BenchmarkLoad loads the shipped Redis drill.
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join("..", "examples", "drills", "redis-cache.yaml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
