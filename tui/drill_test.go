package tui

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// The hidden fault of the drill fixture, and every word that would name
// it on a trainee's screen.
var hidden = []string{"partition", "kafka-2", "peers", "redis-3", "f-0002",
	// the fixture's other fault, armed by hand before the drill
	"f-0001", "kafka-1", "delay", "500ms",
	// another trainee's declaration
	"erin"}

// drillJournal writes the fixture's ten minutes with a drill in them: it
// starts five minutes before t0, arms a partition of kafka-2 at t0-45s
// (the breach follows at t0-30s), dave declares a wrong diagnosis and
// erin the right one.
func drillJournal(t *testing.T) string {
	t.Helper()
	evs := fixtureEvents()
	at := func(d time.Duration, e timeline.Event) timeline.Event { e.Time = t0.Add(d); return e }
	armed := drills.ScenarioData{Scenario: 0, Name: "broker", Phase: drills.PhaseArmed, FaultID: "f-0002", Kind: "partition",
		Hosts: []string{"kafka-2"}, Params: map[string]string{"peers": "redis-3"}}
	fault := timeline.NewEvent(timeline.FaultArmed, "inject", "partition peers=redis-3 armed on kafka-2").
		WithData(timeline.FaultData{FaultID: "f-0002", Kind: "partition", Hosts: []string{"kafka-2"}, Params: map[string]string{"peers": "redis-3"}})
	dave := timeline.NewEvent(drills.KindDiagnosis, "drill", "dave diagnoses: redis-1 kill").WithData(drills.DiagnosisData{Person: "dave", Hosts: []string{"redis-1"}, Kind: "kill"})
	dave.By = "dave"
	erin := timeline.NewEvent(drills.KindDiagnosis, "drill", "erin diagnoses: kafka-2 partition").WithData(drills.DiagnosisData{Person: "erin", Hosts: []string{"kafka-2"}, Kind: "partition"})
	erin.By = "erin"
	evs = append(evs,
		at(-300*time.Second, timeline.NewEvent(drills.KindStart, "drill", "drill kafka-broker started: 1 scenario(s)").WithData(drills.StartData{Drill: "kafka-broker", Scenarios: 1, Trainer: "tom"})),
		at(-300*time.Second, timeline.NewEvent(drills.KindPlan, "drill", "drill kafka-broker: hidden plan (seed 3)").WithData(drills.Plan{Drill: "kafka-broker", Seed: 3})),
		at(-300*time.Second, timeline.NewEvent(drills.KindScenario, "drill", "scenario 1 (broker) begins").WithData(drills.ScenarioData{Name: "broker", Phase: drills.PhaseBegin})),
		at(-45*time.Second, timeline.NewEvent(drills.KindScenario, "drill", "scenario 1 (broker): partition on kafka-2 peers=redis-3 armed (fault f-0002)").WithData(armed)),
		at(-45*time.Second, fault),
		at(-15*time.Second, dave),
		at(-12*time.Second, erin),
	)
	path := filepath.Join(t.TempDir(), "drill.jsonl")
	j, err := timeline.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	sortByTime(evs)
	for i := range evs {
		evs[i].Seq = uint64(i + 1)
	}
	if err := j.AppendBatch(evs); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func sortByTime(evs []timeline.Event) {
	for i := 1; i < len(evs); i++ {
		for k := i; k > 0 && evs[k].Time.Before(evs[k-1].Time); k-- {
			evs[k], evs[k-1] = evs[k-1], evs[k]
		}
	}
}

// drillScreen returns the drill screen of person (role) as the session
// would feed it at cursor: the events go through the session's own
// filter (a replay of the drill's journal up to that moment).
func drillScreen(t *testing.T, journal string, person string, role session.Role, cursor time.Time) *Model {
	t.Helper()
	s, err := session.OpenReplay(session.ReplayConfig{Journal: journal, Review: filepath.Join(t.TempDir(), "review.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close("test over") })
	mover, err := s.Attach(session.Person{Name: "tom", Role: session.Trainer})
	if err != nil {
		t.Fatal(err)
	}
	if err := mover.Seek(cursor); err != nil {
		t.Fatal(err)
	}
	att, err := s.Attach(session.Person{Name: person, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := att.NextFrame()
	if !ok {
		t.Fatal("no frame")
	}
	events, _, _ := timeline.LoadJournal(journal)
	b := drills.Score(events)
	d := &Drill{Name: "kafka-broker", Briefing: "You are on call for the events pipeline. Watch the consumer lag.",
		Trainee: role == session.Trainee, Hosts: []string{"redis-1", "kafka-1"}, Kinds: session.FaultKinds()}
	if !d.Trainee {
		d.Head = b.Truths()
		d.Board = func() (string, error) { return b.Table(), nil }
	}
	m := New(Options{Inventory: fixtureInventory(), Kinds: fixtureKinds(), Probes: fixtureKnown(), Now: func() time.Time { return cursor }, Drill: d, Notes: recNotes{timeline.NewRecorder()}})
	m.Update(eventsMsg{events: f.Events, reset: true})
	return m
}

// TestGoldenDrillScreens: the trainee's screen at the moment the hidden
// fault is armed and during the breach that follows names neither the
// fault's kind, its host, its parameters, its ID, the other fault, nor
// another trainee's declaration, while it shows the briefing and the
// trainee's own declaration; the trainer's screen shows all of them and
// the score board.
func TestGoldenDrillScreens(t *testing.T) {
	journal := drillJournal(t)
	for _, c := range []struct {
		name    string
		role    session.Role
		cursor  time.Time
		show    []string
		trainee bool
	}{
		{"trainee-armed", session.Trainee, t0.Add(-44 * time.Second), []string{"Briefing: You are on call", "d diagnose", "m mitigated"}, true},
		{"trainee-breach", session.Trainee, t0, []string{"Briefing: You are on call", "dave diagnoses: redis-1 kill", "breached"}, true},
		{"trainer-breach", session.Trainer, t0, []string{"partition on kafka-2", "f-0002", "erin diagnoses", "TRAINEE", "c confirm"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := drillScreen(t, journal, "dave", c.role, c.cursor)
			sc := start(t, m, 120, 36)
			waitFor(t, sc, "Drill kafka-broker")
			v := finalView(t, sc)
			for _, s := range c.show {
				if !strings.Contains(v, s) {
					t.Errorf("the screen lacks %q:\n%s", s, v)
				}
			}
			for _, s := range hidden {
				if strings.Contains(v, s) == c.trainee {
					t.Errorf("%q on the screen: %v, want %v:\n%s", s, !c.trainee, c.trainee, v)
				}
			}
			teatest.RequireEqualOutput(t, []byte(v))
		})
	}
}

// declared records what a drill screen declared or confirmed.
type declared struct {
	mu    sync.Mutex
	calls []string
}

func (d *declared) add(s string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, s)
	return nil
}

func (d *declared) got() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

// TestDrillKeys: a trainee's d declares a diagnosis (hosts split at
// commas, the kind, the text) and m "mitigated"; a trainer's c confirms
// the mitigation of the trainee picked; a trainee's c and a do nothing.
func TestDrillKeys(t *testing.T) {
	rec := &declared{}
	d := &Drill{Name: "d", Briefing: "b", Hosts: []string{"redis-1"}, Kinds: session.FaultKinds(),
		Diagnose:  func(h []string, k, x string) error { return rec.add(fmt.Sprintf("diagnose %q %s %q", h, k, x)) },
		Mitigated: func(a string) error { return rec.add("mitigated " + a) },
		Confirm:   func(who string) error { return rec.add("confirm " + who) },
		Trainees:  func() []string { return []string{"dave", "erin"} },
	}
	trainee := *d
	trainee.Trainee = true
	sc := start(t, New(Options{Inventory: fixtureInventory(), Now: fixedNow, Drill: &trainee}), 120, 36)
	waitFor(t, sc, "Drill d")
	press(sc, "c", "a")
	steps(t, sc,
		step{keys: []string{"d"}, until: []string{"Declare a diagnosis", "kinds: "}},
		step{keys: []string{"k", "a", "f", "k", "a", "-", "1", ",", " ", "r", "e", "d", "i", "s", "-", "1", "tab", "p", "a", "u", "s", "e", "tab", "s", "l", "o", "w", "enter"}, until: []string{"diagnosis declared"}},
		step{keys: []string{"m"}, until: []string{"Declare the incident mitigated"}},
		step{keys: []string{"r", "e", "s", "t", "a", "r", "t", "enter"}, until: []string{"mitigated declared"}},
	)
	sc.Quit()
	trainer := *d
	sc = start(t, New(Options{Inventory: fixtureInventory(), Now: fixedNow, Drill: &trainer}), 120, 36)
	waitFor(t, sc, "Drill d")
	steps(t, sc,
		step{keys: []string{"c"}, until: []string{"Confirm a mitigation", "2 erin"}},
		step{keys: []string{"2"}, until: []string{"confirmed erin's mitigation"}},
	)
	want := []string{`diagnose ["kafka-1" "redis-1"] pause "slow"`, "mitigated restart", "confirm erin"}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
}
