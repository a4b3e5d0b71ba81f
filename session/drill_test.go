package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
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

// drillSession opens a shared live session on this machine with a drill
// of one scenario: a pause of a sleeping process, armed as soon as the
// scenario starts and kept until a mitigation is confirmed.
func drillSession(t *testing.T) (*Session, int) {
	t.Helper()
	pid, pidfile := sleeper(t)
	src := fmt.Sprintf(`name: local-drill
briefing: Something will stop on this machine.
scenarios:
  - name: stopped
    window: {from: 0s, to: 0s}
    lasts: 10m
    candidates:
      - {kind: pause, hosts: [local], params: {pidfile: %q}}
`, pidfile)
	dr, err := drills.Parse("local.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	inv := &targets.Inventory{Name: "local", Hosts: []targets.Host{{Name: "local", Address: "127.0.0.1"}}}
	s, err := Open(Config{Source: "serve", Targets: inv, StateDir: t.TempDir(), Shared: true, Drill: dr, Seed: 1,
		FaultOptions: []inject.Option{inject.WithRunner(inject.LocalRunner{})}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.StopDrill()
		s.RevertArmed(context.Background())
		s.Close("test over")
	})
	return s, pid
}

// TestDrillInASession runs a drill through the session: the fault is
// armed (the process stops), each trainee declares from their own screen
// and sees only their own declarations, trainees may neither confirm nor
// read the plan or the board, the trainer's confirmation reverts the
// fault (the process runs again) and ends the drill, and the board scores
// a right and a partly right diagnosis.
func TestDrillInASession(t *testing.T) {
	s, pid := drillSession(t)
	tom := attach(t, s, "tom", Trainer)
	dave := attach(t, s, "dave", Trainee)
	erin := attach(t, s, "erin", Trainee)
	done := make(chan drills.Result, 1)
	go func() {
		res, err := s.RunDrill(context.Background(), DrillOptions{Trainer: "tom"})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	read(t, tom, drills.KindScenario, "armed")
	if st := procState(t, pid); st != "T" {
		t.Fatalf("armed: process state %q, want T (stopped)", st)
	}

	if err := tom.Diagnose([]string{"local"}, "pause", ""); err == nil {
		t.Error("the trainer declared a diagnosis")
	}
	if err := dave.Diagnose([]string{"local"}, "pause", "sleep is stopped"); err != nil {
		t.Fatal(err)
	}
	if err := erin.Diagnose([]string{"local"}, "kill", "sleep is gone"); err != nil {
		t.Fatal(err)
	}
	if err := erin.Diagnose(nil, "pauze", ""); err == nil || !strings.Contains(err.Error(), `did you mean "pause"`) {
		t.Errorf("a misspelt kind: %v", err)
	}
	if err := tom.Confirm("dave"); err == nil || !strings.Contains(err.Error(), "dave has not declared a mitigation") {
		t.Errorf("confirm before the mitigation: %v", err)
	}
	if err := dave.Mitigated("sent SIGCONT"); err != nil {
		t.Fatal(err)
	}
	if err := erin.Confirm("dave"); err == nil {
		t.Error("a trainee confirmed a mitigation")
	}
	if _, err := dave.DrillPlan(); err == nil {
		t.Error("a trainee read the plan")
	}
	if _, err := dave.Score(); err == nil {
		t.Error("a trainee read the board before the end")
	}
	if plan, err := tom.DrillPlan(); err != nil || !strings.Contains(plan, "pause") {
		t.Errorf("the trainer's plan: %q, %v", plan, err)
	}
	if err := tom.Confirm("dave"); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.Reason != "finished" || res.Armed != 1 || res.RevertErr != nil {
		t.Fatalf("result %+v", res)
	}
	if st := procState(t, pid); st == "T" {
		t.Error("the process is still stopped after the confirmation")
	}

	// Each trainee saw their own declarations, no other's, and no fault.
	seenBy := func(a *Attachment) []timeline.Event {
		evs, _ := read(t, a, drills.KindEnd, "ended")
		return evs
	}
	for _, c := range []struct {
		a          *Attachment
		own, other string
	}{{dave, "dave diagnoses", "erin diagnoses"}, {erin, "erin diagnoses", "dave diagnoses"}} {
		var own bool
		for _, e := range seenBy(c.a) {
			switch {
			case strings.Contains(e.Summary, c.own):
				own = true
			case strings.Contains(e.Summary, c.other), drills.Secret(e):
				t.Errorf("%s's screen got %s %q", c.a.Who(), e.Kind, e.Summary)
			}
		}
		if !own {
			t.Errorf("%s's screen lacks their own diagnosis", c.a.Who())
		}
	}

	b, err := dave.Score()
	if err != nil {
		t.Fatal(err)
	}
	grades := map[string]drills.Grade{}
	for _, r := range b.Rows {
		grades[r.Trainee] = r.Diagnosis
	}
	if grades["dave"] != drills.GradeRight || grades["erin"] != drills.GradeHost || !b.Ended {
		t.Errorf("board %v, ended %v:\n%s", grades, b.Ended, b.Table())
	}
	if _, err := s.RunDrill(context.Background(), DrillOptions{}); err == nil {
		t.Error("a drill ran twice in one session")
	}

	// The session's report ends with the same truths and table.
	if err := s.Recorder().Flush(); err != nil {
		t.Fatal(err)
	}
	path, err := s.Report(filepath.Join(t.TempDir(), "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Drill local-drill", b.Truths(), b.Table()} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
