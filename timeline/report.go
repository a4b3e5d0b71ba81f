package timeline

import (
	"cmp"
	"encoding/json"
	"path/filepath"
	"slices"
	"time"
)

// ReportOptions tune a report. The zero value is a complete report.
type ReportOptions struct {
	// Title replaces the title taken from the session.start event.
	Title string
	// Journal names the journal the events came from, shown in the header
	// (only its base name, so reports do not leak local paths).
	Journal string
	// Warnings from LoadJournal, shown near the top so readers know the
	// journal was damaged.
	Warnings []Warning
	// MaxChartPoints caps the points of each p99 chart; 0 means 60.
	MaxChartPoints int
}

// Report is the analysis behind both exports: the markdown report renders it
// and the JSON export encodes it. Times are offsets from Start, so the
// same journal always gives the same report.
type Report struct {
	Format     string            `json:"format"` // ReportFormat
	Title      string            `json:"title"`
	Journal    string            `json:"journal,omitempty"`
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end"`
	Duration   Seconds           `json:"duration_s"`
	Inventory  string            `json:"inventory,omitempty"`
	Runbook    string            `json:"runbook,omitempty"`
	Verdict    string            `json:"verdict"`
	Reason     string            `json:"reason,omitempty"`
	Hypothesis []ConditionResult `json:"hypothesis"`
	Warnings   []string          `json:"warnings"`
	Notes      []EventRow        `json:"notes"`
	Faults     []FaultReport     `json:"faults"`
	Breaches   []BreachSpan      `json:"breaches"`
	P99        []Series          `json:"p99"`
	Events     []EventRow        `json:"events"`
}

// ReportFormat names the JSON export's schema; it changes only when a field
// changes meaning or disappears.
const ReportFormat = "gameday.report/v1"

// NoRunbook is the verdict of a session that no runbook drove, and
// NoVerdict that of a runbook session that ended without one.
const (
	NoRunbook = "no runbook"
	NoVerdict = "no verdict recorded"
)

// Seconds is a duration in seconds, rounded to the millisecond so that
// reports do not show float noise.
type Seconds float64

func secondsOf(d time.Duration) Seconds {
	return Seconds(d.Round(time.Millisecond).Seconds())
}

// Duration converts s back to a time.Duration.
func (s Seconds) Duration() time.Duration {
	return time.Duration(float64(s) * float64(time.Second)).Round(time.Millisecond)
}

// EventRow is one event as reports show it: secrets dropped, time relative
// to the report's start.
type EventRow struct {
	Seq     uint64          `json:"seq"`
	At      Seconds         `json:"at_s"`
	Time    time.Time       `json:"time"`
	Kind    Kind            `json:"kind"`
	Source  string          `json:"source"`
	Host    string          `json:"host,omitempty"`
	Summary string          `json:"summary"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// FaultReport is one fault's life and its effect on the probes.
type FaultReport struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	Hosts  []string `json:"hosts"`
	Params []Param  `json:"params"`
	// State is how the fault ended: "reverted", "expired", "failed", or
	// "armed" when the journal ends with it in place.
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// ArmingAt is when its inject commands began (the first event of the
	// fault if arming was not recorded), ArmedAt when verify saw it in place
	// (nil if it never was), EndedAt when it was reverted, expired, or
	// failed to arm.
	ArmingAt *Seconds `json:"arming_at_s"`
	ArmedAt  *Seconds `json:"armed_at_s"`
	EndedAt  *Seconds `json:"ended_at_s"`
	// TimeToDetect runs from the start of arming (when the inject commands
	// began) to the first breach (or probe error) before the fault ended;
	// DetectedBy names that probe.
	TimeToDetect *Seconds `json:"time_to_detect_s"`
	DetectedBy   string   `json:"detected_by,omitempty"`
	// TimeToRecover runs from EndedAt to the first moment every probe that
	// breached during the fault is ok again (0 when they already were).
	TimeToRecover *Seconds `json:"time_to_recover_s"`
	Breached      []string `json:"breached"`
	// Impact covers the fault from the start of arming until it ended or,
	// when later, until recovery.
	WorstP99 *Measure `json:"worst_p99_ms"`
	// Latency breaks WorstP99 down by probe, for every probe that reports
	// a p99 anywhere in the journal, sorted by probe.
	Latency       []LatencyImpact `json:"latency"`
	MaxLag        *Measure        `json:"max_lag"`
	MinQuorum     *Measure        `json:"min_quorum_success_pct"`
	MasterChanges int             `json:"master_changes"`
}

// LatencyImpact is one latency probe during a fault: its worst p99, and how
// many of its windows could not measure at all (a dead node measures nothing,
// which is worse than slow).
type LatencyImpact struct {
	Probe      string   `json:"probe"`
	WorstP99   *float64 `json:"worst_p99_ms"` // nil: no window measured
	At         *Seconds `json:"at_s"`
	Unmeasured int      `json:"unmeasured_windows"`
}

// Param is one fault parameter.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Measure is an extreme value and the probe that saw it.
type Measure struct {
	Value float64 `json:"value"`
	Probe string  `json:"probe"` // "redis.latency redis"
	At    Seconds `json:"at_s"`
}

// BreachSpan is a stretch of time during which one probe was not ok.
type BreachSpan struct {
	Probe  string   `json:"probe"` // "redis.latency redis"
	Status string   `json:"status"`
	From   Seconds  `json:"from_s"`
	To     *Seconds `json:"to_s"` // nil: still breaching when the journal ends
}

// Series is one probe's p99 over time, downsampled.
type Series struct {
	Probe  string  `json:"probe"`
	Step   Seconds `json:"step_s"`
	Points []Point `json:"points"`
}

// Point is the worst p99 of the windows closing in one step of a Series.
type Point struct {
	At    Seconds `json:"at_s"`
	Value float64 `json:"value"`
	step  int     // index of the step, exact where At is rounded
}

// BuildReport analyses events (in any order: they are sorted by time, then
// by their order in the slice) into a Report.
func BuildReport(events []Event, opts ReportOptions) *Report {
	evs := slices.Clone(events)
	for i := range evs {
		evs[i].normalize()
		evs[i].redact() // a no-op for recorded and reloaded events
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.Time.Compare(b.Time) })
	r := &Report{
		Format:     ReportFormat,
		Title:      opts.Title,
		Verdict:    NoRunbook,
		Hypothesis: []ConditionResult{},
		Warnings:   []string{},
		Notes:      []EventRow{},
		Faults:     []FaultReport{},
		Breaches:   []BreachSpan{},
		P99:        []Series{},
		Events:     make([]EventRow, 0, len(evs)),
	}
	if opts.Journal != "" {
		r.Journal = filepath.Base(opts.Journal)
	}
	for _, w := range opts.Warnings {
		w.File = filepath.Base(w.File)
		r.Warnings = append(r.Warnings, w.String())
	}
	if len(evs) == 0 {
		if r.Title == "" {
			r.Title = "Game day"
		}
		return r
	}
	r.Start, r.End = evs[0].Time.UTC(), evs[len(evs)-1].Time.UTC()
	r.Duration = secondsOf(r.End.Sub(r.Start))
	r.header(evs)
	for _, e := range evs {
		row := r.row(e)
		r.Events = append(r.Events, row)
		if e.Kind == Note {
			r.Notes = append(r.Notes, row)
		}
	}
	obs := observe(evs)
	r.Breaches = breachSpans(obs, r.Start)
	r.Faults = analyzeFaults(evs, obs, r.Start, r.End)
	r.P99 = p99Series(obs, r.Start, r.End, cmp.Or(opts.MaxChartPoints, 60))
	return r
}

// header fills the title, inventory and verdict from session.start and
// runbook.verdict events (the first start, the last verdict).
func (r *Report) header(evs []Event) {
	var verdict *VerdictData
	for i := range evs {
		e := &evs[i]
		switch e.Kind {
		case SessionStart:
			if sd := e.Session(); sd != nil {
				r.Inventory = cmp.Or(r.Inventory, sd.Inventory)
				r.Runbook = cmp.Or(r.Runbook, sd.Runbook)
				r.Title = cmp.Or(r.Title, sd.Title)
			}
		case RunbookVerdict:
			if v := DataAs[VerdictData](*e); v != nil && v.Verdict != "" {
				verdict = v
			}
		}
	}
	if r.Runbook != "" {
		r.Verdict = NoVerdict
	}
	if verdict != nil {
		r.Verdict, r.Reason = verdict.Verdict, verdict.Reason
		r.Hypothesis = append(r.Hypothesis, verdict.Conditions...)
		r.Runbook = cmp.Or(r.Runbook, verdict.Runbook)
	}
	if r.Title == "" {
		r.Title = "Game day"
		if r.Runbook != "" {
			r.Title = "Game day: " + r.Runbook
		}
	}
}

func (r *Report) row(e Event) EventRow {
	return EventRow{
		Seq:     e.Seq,
		At:      secondsOf(e.Time.Sub(r.Start)),
		Time:    e.Time.UTC(),
		Kind:    e.Kind,
		Source:  e.Source,
		Host:    e.Host,
		Summary: e.Summary,
		Data:    e.DataJSON(),
	}
}
