package drills

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// Scored is the board of a session's events (Score), and whether they
// hold a drill at all: the one computation behind the trainer's screen,
// the markdown report's drill section and the JSON export's.
func Scored(events []timeline.Event) (Board, bool) {
	if !slices.ContainsFunc(events, func(e timeline.Event) bool { return e.Kind == KindStart }) {
		return Board{}, false
	}
	return Score(events), true
}

// WriteReport appends the drill section of a session's markdown report
// to w: what each scenario really armed and every trainee's score, from
// the events alone (Score), so the export, the session's report and the
// trainer's screen agree. It writes nothing when the events hold no
// drill.
func WriteReport(w io.Writer, events []timeline.Event) error {
	b, ok := Scored(events)
	if !ok {
		return nil
	}
	state := "ended"
	if !b.Ended {
		state = "did not end (the journal stops before its reveal)"
	}
	_, err := fmt.Fprintf(w, "\n## Drill %s\n\nSeed %d; the drill %s.\n\n### What was armed\n\n```\n%s```\n\n### Scores\n\n```\n%s```\n",
		b.Drill, b.Seed, state, b.Truths(), b.Table())
	return err
}

// MarshalJSON writes the board as the JSON export's drill section: the
// seed, every scenario's plan and what it really armed (Truths), and
// every trainee's row (Table), the same figures in seconds. What did not
// happen is null, as the table's "—".
func (b Board) MarshalJSON() ([]byte, error) {
	out := boardJSON{
		Drill: b.Drill, Seed: strconv.FormatUint(b.Seed, 10), Ended: b.Ended,
		Scenarios: []truthJSON{}, Scores: []rowJSON{},
	}
	for i := range max(len(b.Plan.Picks), len(b.Scenarios)) {
		out.Scenarios = append(out.Scenarios, b.scenarioJSON(i))
	}
	for _, r := range b.Rows {
		row := rowJSON{Scenario: r.Scenario, Trainee: r.Trainee, Credit: r.Diagnosis.Credit(), Wrong: r.Wrong,
			Detect: seconds(r.Detected, r.Detect), Mitigate: seconds(r.Mitigated, r.Mitigate)}
		if r.Diagnosis != GradeNone {
			row.Diagnosis = &r.Diagnosis
		}
		out.Scores = append(out.Scores, row)
	}
	return json.Marshal(out)
}

// scenarioJSON is scenario i: its pick from the plan and its truth, as
// far as the events tell them.
func (b Board) scenarioJSON(i int) truthJSON {
	s := truthJSON{Scenario: i, Label: scenarioLabel(i, "")}
	if i < len(b.Plan.Picks) && b.Plan.Picks[i].Scenario == i {
		k := b.Plan.Picks[i]
		s.Name, s.Label, s.Planned = k.Name, k.Label(), &k
	}
	t := b.truth(i)
	if t == nil {
		return s
	}
	s.Name, s.Label, s.Began = t.Name, scenarioLabel(i, t.Name), true
	s.Ended, s.Reason = t.Ended, t.Reason
	if t.Armed {
		s.Armed = &armedJSON{
			FaultID: t.FaultID, Kind: t.Kind, Hosts: t.Hosts, Params: t.Params, At: t.ArmedAt.UTC(),
			After: *seconds(true, t.ArmAfter), Lasted: seconds(t.Ended, t.EndedAt.Sub(t.ArmedAt)),
		}
	}
	return s
}

// boardJSON is Board's JSON shape.
type boardJSON struct {
	Drill string `json:"drill"`
	// Seed is decimal text: a seed uses all 64 bits, more than a JSON
	// number keeps in most tools (jq, JavaScript).
	Seed      string      `json:"seed"`
	Ended     bool        `json:"ended"`
	Scenarios []truthJSON `json:"scenarios"`
	Scores    []rowJSON   `json:"scores"`
}

// truthJSON is one scenario: its plan and what it armed.
type truthJSON struct {
	Scenario int    `json:"scenario"` // 0-based, as in the events
	Name     string `json:"name,omitempty"`
	Label    string `json:"label"` // "scenario 1 (cache)", as the report says
	// Planned is the plan's pick, as drill.plan records it: candidate,
	// kind, host selectors as written, params, arm_after_ms, lasts_ms,
	// ttl_ms.
	Planned *Pick `json:"planned,omitempty"`
	Began   bool  `json:"began"`
	// Armed is what was armed, null when nothing was.
	Armed  *armedJSON `json:"armed"`
	Ended  bool       `json:"ended"`
	Reason string     `json:"reason,omitempty"`
}

// armedJSON is the fault a scenario armed: the ledger's ID, its hosts as
// resolved then, when (After: from the scenario's start) and how long it
// lasted (null while it lasts).
type armedJSON struct {
	FaultID string            `json:"fault_id"`
	Kind    string            `json:"kind"`
	Hosts   []string          `json:"hosts"`
	Params  map[string]string `json:"params,omitempty"`
	At      time.Time         `json:"at"`
	After   timeline.Seconds  `json:"after_s"`
	Lasted  *timeline.Seconds `json:"lasted_s"`
}

// rowJSON is one row of the score table.
type rowJSON struct {
	Scenario  int               `json:"scenario"`
	Trainee   string            `json:"trainee"`
	Detect    *timeline.Seconds `json:"detect_s"`
	Diagnosis *Grade            `json:"diagnosis"`
	Credit    float64           `json:"credit"`
	Mitigate  *timeline.Seconds `json:"mitigate_s"`
	Wrong     int               `json:"wrong"`
}

// seconds is d as the report's seconds, or nil when it did not happen.
func seconds(ok bool, d time.Duration) *timeline.Seconds {
	if !ok {
		return nil
	}
	s := timeline.Seconds(d.Round(time.Millisecond).Seconds())
	return &s
}
