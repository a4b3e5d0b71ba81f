package drills

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// Grade is how right a diagnosis was.
type Grade string

// The grades of a diagnosis: both the hosts and the fault kind right, one
// of the two, or neither. GradeNone: no diagnosis after the fault was
// armed.
const (
	GradeNone  Grade = ""
	GradeRight Grade = "right"
	GradeHost  Grade = "host only"
	GradeKind  Grade = "kind only"
	GradeWrong Grade = "wrong"
)

// Credit is the grade's score: 1 right, ½ for one of host and kind, else 0.
func (g Grade) Credit() float64 {
	switch g {
	case GradeRight:
		return 1
	case GradeHost, GradeKind:
		return 0.5
	}
	return 0
}

// Board is the score of a drill: the truth of every scenario begun so far
// and one row per trainee and scenario. Score computes it from events
// alone, so the live screen (from the session's history), the report and
// a replay (from the journal) show the same figures.
type Board struct {
	Drill string
	Seed  uint64
	// Plan is the hidden plan as drill.plan recorded it (or drill.end
	// revealed it): what each scenario was to arm, and when.
	Plan      Plan
	Scenarios []Truth
	Rows      []Row
	// Ended tells that the drill ended (its plan was revealed).
	Ended bool
}

// Truth is what a scenario really armed, as its drill.scenario events
// recorded it.
type Truth struct {
	Scenario int
	Name     string
	Armed    bool
	FaultID  string
	Kind     string
	Hosts    []string
	Params   map[string]string
	// ArmedAt is when the fault was armed; ArmAfter that moment counted
	// from the scenario's start.
	ArmedAt  time.Time
	ArmAfter time.Duration
	Ended    bool
	EndedAt  time.Time
	Reason   string // why it ended (EndTimeUp, "mitigated by …", …)
	began    time.Time
}

// Row is one trainee's score in one scenario. Durations count from the
// moment the fault was armed.
type Row struct {
	Scenario int
	Trainee  string
	// Detect is the time to the trainee's first declaration (diagnosis
	// or "mitigated") after the fault was armed: time to detect.
	Detected bool
	Detect   time.Duration
	// Diagnosis grades the trainee's last diagnosis after the fault was
	// armed (their final answer).
	Diagnosis Grade
	// Mitigate is the time to the trainer's confirmation of this
	// trainee's mitigation.
	Mitigated bool
	Mitigate  time.Duration
	// Wrong counts wrong declarations: diagnoses with neither the hosts
	// nor the kind right, and any declaration made before the fault was
	// armed (a false alarm).
	Wrong int
}

// Score computes the board from a drill's events, in the order the
// journal (or a session's history) lists them. Events of other kinds are
// ignored, except session.join of a trainee: a trainee who joined and
// never declared has a row too.
func Score(events []timeline.Event) Board {
	var (
		b        Board
		trainees []string
		current  = -1
		rows     = map[rowKey]*Row{}
	)
	addTrainee := func(p string) {
		if p != "" && !slices.Contains(trainees, p) {
			trainees = append(trainees, p)
		}
	}
	row := func(p string, s int) *Row {
		k := rowKey{p, s}
		if rows[k] == nil {
			rows[k] = &Row{Scenario: s, Trainee: p}
		}
		return rows[k]
	}
	// armed returns the scenario whose fault is armed now, if any.
	live := func() *Truth {
		if current < 0 || current >= len(b.Scenarios) {
			return nil
		}
		return &b.Scenarios[current]
	}
	for _, e := range events {
		switch e.Kind {
		case timeline.SessionJoin:
			if p := timeline.DataAs[timeline.PersonData](e); p != nil && p.Role == "trainee" {
				addTrainee(p.Person)
			}
		case KindStart:
			if d := payload[StartData](e); d != nil {
				b.Drill = d.Drill
			}
		case KindPlan:
			if p := payload[Plan](e); p != nil {
				b.Seed, b.Plan = p.Seed, *p
			}
		case KindScenario:
			d := payload[ScenarioData](e)
			if d == nil {
				continue
			}
			switch d.Phase {
			case PhaseBegin:
				b.Scenarios = append(b.Scenarios, Truth{Scenario: d.Scenario, Name: d.Name, began: e.Time})
				current = len(b.Scenarios) - 1
			case PhaseArmed:
				if t := live(); t != nil {
					t.Armed, t.ArmedAt, t.ArmAfter = true, e.Time, e.Time.Sub(t.began)
					t.FaultID, t.Kind, t.Hosts, t.Params = d.FaultID, d.Kind, d.Hosts, d.Params
				}
			case PhaseEnd:
				if t := live(); t != nil {
					t.Ended, t.EndedAt, t.Reason = true, e.Time, d.Reason
				}
				current = -1
			}
		case KindDiagnosis, KindMitigated:
			var d DiagnosisData // a mitigation names its person only
			if p := payload[DiagnosisData](e); p != nil {
				d = *p
			} else if m := payload[MitigatedData](e); m != nil {
				d.Person = m.Person
			}
			if d.Person == "" {
				continue
			}
			addTrainee(d.Person)
			t := live()
			if t == nil {
				continue // between scenarios, or after the drill
			}
			r := row(d.Person, t.Scenario)
			if !t.Armed {
				r.Wrong++ // nothing was broken yet
				continue
			}
			if !r.Detected {
				r.Detected, r.Detect = true, e.Time.Sub(t.ArmedAt)
			}
			if e.Kind == KindDiagnosis {
				r.Diagnosis = grade(d, *t)
				if r.Diagnosis == GradeWrong {
					r.Wrong++
				}
			}
		case KindConfirmed:
			d := payload[ConfirmedData](e)
			if d == nil {
				continue
			}
			if t := live(); t != nil && t.Armed {
				addTrainee(d.Person)
				r := row(d.Person, t.Scenario)
				r.Mitigated, r.Mitigate = true, e.Time.Sub(t.ArmedAt)
			}
		case KindEnd:
			if d := payload[EndData](e); d != nil {
				b.Ended, b.Drill, b.Seed, b.Plan = true, d.Drill, d.Plan.Seed, d.Plan
			}
		}
	}
	for _, t := range b.Scenarios {
		for _, p := range trainees {
			b.Rows = append(b.Rows, *row(p, t.Scenario))
		}
	}
	return b
}

type rowKey struct {
	person   string
	scenario int
}

// grade judges a diagnosis against what was armed: the hosts right when
// they are exactly the fault's hosts, the kind right when it is the
// fault's kind.
func grade(d DiagnosisData, t Truth) Grade {
	hosts := len(d.Hosts) > 0 && len(d.Hosts) == len(t.Hosts)
	for _, h := range d.Hosts {
		hosts = hosts && slices.Contains(t.Hosts, h)
	}
	kind := d.Kind != "" && d.Kind == t.Kind
	switch {
	case hosts && kind:
		return GradeRight
	case hosts:
		return GradeHost
	case kind:
		return GradeKind
	}
	return GradeWrong
}

// Table renders the rows as the score table screens and reports show:
// one line per trainee and scenario; "—" for what did not happen.
func (b Board) Table() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SCENARIO\tTRAINEE\tDETECT\tDIAGNOSIS\tMITIGATE\tWRONG")
	for _, r := range b.Rows {
		name := fmt.Sprint(r.Scenario + 1)
		if t := b.truth(r.Scenario); t != nil && t.Name != "" {
			name += " " + t.Name
		}
		diag := string(r.Diagnosis)
		if diag == "" {
			diag = "—"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", name, r.Trainee, since(r.Detected, r.Detect), diag, since(r.Mitigated, r.Mitigate), r.Wrong)
	}
	w.Flush()
	return sb.String()
}

// Truths renders what each scenario armed, for the reveal: one line each.
func (b Board) Truths() string {
	var sb strings.Builder
	for _, t := range b.Scenarios {
		fmt.Fprintf(&sb, "%s: ", scenarioLabel(t.Scenario, t.Name))
		switch {
		case !t.Armed && t.Ended:
			fmt.Fprintf(&sb, "nothing armed (%s)\n", t.Reason)
		case !t.Armed:
			sb.WriteString("not armed yet\n")
		default:
			fmt.Fprintf(&sb, "%s (fault %s), armed %s after its start", describeFault(t.Kind, t.Hosts, t.Params), t.FaultID, t.ArmAfter.Round(time.Second))
			if t.Ended {
				fmt.Fprintf(&sb, ", ended after %s: %s", t.EndedAt.Sub(t.ArmedAt).Round(time.Second), t.Reason)
			}
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

func (b Board) truth(scenario int) *Truth {
	for i := range b.Scenarios {
		if b.Scenarios[i].Scenario == scenario {
			return &b.Scenarios[i]
		}
	}
	return nil
}

func since(ok bool, d time.Duration) string {
	if !ok {
		return "—"
	}
	return d.Round(time.Second).String()
}
