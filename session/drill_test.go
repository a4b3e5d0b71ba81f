package session

import (
	"testing"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/timeline"
)

// TestTraineesNeverSeeADrillsSecrets: the hidden plan, a scenario's phases
// (they name the fault) and a trainer's confirmation reach the trainer's
// screen and never a trainee's; the drill's start and its reveal reach
// both.
func TestTraineesNeverSeeADrillsSecrets(t *testing.T) {
	s := liveSession(t)
	trainer := attach(t, s, "tom", Trainer)
	trainee := attach(t, s, "dave", Trainee)
	rec := s.Recorder()
	rec.Record(timeline.NewEvent(drills.KindStart, "drill", "drill d started").WithData(drills.StartData{Drill: "d", Scenarios: 1}))
	rec.Record(timeline.NewEvent(drills.KindPlan, "drill", "hidden plan").WithData(drills.Plan{Drill: "d", Seed: 7}))
	rec.Record(timeline.NewEvent(drills.KindScenario, "drill", "pause on local armed").WithData(drills.ScenarioData{Phase: drills.PhaseArmed, FaultID: "f1", Kind: "pause", Hosts: []string{"local"}}))
	rec.Record(timeline.NewEvent(drills.KindConfirmed, "drill", "tom confirms").WithData(drills.ConfirmedData{Person: "dave", By: "tom", FaultID: "f1"}))
	rec.Record(timeline.NewEvent(drills.KindEnd, "drill", "drill d ended").WithData(drills.EndData{Drill: "d", Reason: "finished"}))

	seen, _ := read(t, trainee, drills.KindEnd, "drill d ended")
	kinds := map[timeline.Kind]bool{}
	for _, e := range seen {
		kinds[e.Kind] = true
	}
	if !kinds[drills.KindStart] || kinds[drills.KindPlan] || kinds[drills.KindScenario] || kinds[drills.KindConfirmed] {
		t.Errorf("the trainee's screen got %v", kinds)
	}
	seen, _ = read(t, trainer, drills.KindEnd, "drill d ended")
	kinds = map[timeline.Kind]bool{}
	for _, e := range seen {
		kinds[e.Kind] = true
	}
	if !kinds[drills.KindPlan] || !kinds[drills.KindScenario] || !kinds[drills.KindConfirmed] {
		t.Errorf("the trainer's screen got %v", kinds)
	}
}
