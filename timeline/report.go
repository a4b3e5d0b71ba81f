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
	// MaxChartPoints caps the points of each chart; 0 means
	// DefaultChartPoints.
	MaxChartPoints int
}

// Report is the analysis behind both exports: the markdown report renders
// it and the JSON export encodes it. Every figure in it comes from the
// Analyzer. Times are offsets from Start, so the same journal always gives
// the same report.
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
	// Services is the inventory's membership recorded at the start
	// (empty for journals that predate it).
	Services []ServiceInfo  `json:"services"`
	Counts   map[Kind]int   `json:"counts"` // events by kind
	Notes    []Row          `json:"notes"`
	Faults   []FaultReport  `json:"faults"`
	Breaches []BreachSpan   `json:"breaches"`
	Probes   []ProbeSummary `json:"probes"`
	// Rows are the significant events, repeats merged: what the event
	// table shows.
	Rows []Row `json:"rows"`
	// Events are all the events, probe windows included, with their data
	// (JSON only).
	Events []EventRow `json:"events"`
	// Drill is the drill section of a drill's session (JSON only): the
	// drills package's score board, which the caller sets (timeline does
	// not know drills); nil leaves it out.
	Drill json.Marshaler `json:"drill,omitempty"`

	events []Event // for Events, filled only when JSON is written
}

// MaxReportWarnings is how many journal warnings a report (and the export
// command) shows before saying how many more there are.
const MaxReportWarnings = 5

// ReportFormat names the JSON export's schema; it changes only when a field
// changes meaning or disappears.
const ReportFormat = "gameday.report/v2"

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

// EventRow is one event with its data, as the JSON export carries it.
type EventRow struct {
	Row
	Data json.RawMessage `json:"data,omitempty"`
}

// Param is one fault parameter.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Measure is an extreme value, the probe that saw it and when.
type Measure struct {
	Value float64 `json:"value"`
	Probe string  `json:"probe,omitempty"` // "redis.latency redis"
	At    Seconds `json:"at_s"`
}

// BreachSpan is a stretch of time during which one probe was not ok.
type BreachSpan struct {
	Probe  string   `json:"probe"` // "redis.latency redis"
	Status string   `json:"status"`
	From   Seconds  `json:"from_s"`
	To     *Seconds `json:"to_s"` // nil: still breaching when the journal ends
}

// BuildReport analyses events, in journal order, into a Report: it feeds
// them to an Analyzer, as the live screen does.
func BuildReport(events []Event, opts ReportOptions) *Report {
	a := NewAnalyzer()
	for _, e := range events {
		e.normalize()
		e.redact() // a no-op for recorded and reloaded events
		a.Feed(e)
	}
	r := a.Report(opts)
	r.events = events
	return r
}

// Report renders the analysis so far as a Report.
func (a *Analyzer) Report(opts ReportOptions) *Report {
	r := &Report{
		Format:     ReportFormat,
		Title:      opts.Title,
		Verdict:    NoRunbook,
		Hypothesis: []ConditionResult{},
		Warnings:   []string{},
		Services:   []ServiceInfo{},
		Counts:     clonedMap(a.kinds),
		Notes:      []Row{},
		Faults:     a.Faults(),
		Breaches:   a.BreachSpans(),
		Probes:     a.ProbeSummaries(cmp.Or(opts.MaxChartPoints, DefaultChartPoints)),
		Rows:       slices.Clone(a.Rows()),
		Events:     []EventRow{},
	}
	if opts.Journal != "" {
		r.Journal = filepath.Base(opts.Journal)
	}
	ws := slices.Clone(opts.Warnings)
	for i := range ws {
		ws[i].File = filepath.Base(ws[i].File)
	}
	r.Warnings = append(r.Warnings, WarningLines(ws, MaxReportWarnings)...)
	if a.events > 0 {
		r.Start, r.End = a.start.UTC(), a.last.UTC()
		r.Duration = secondsOf(r.End.Sub(r.Start))
	}
	if sd := a.session; sd != nil {
		r.Inventory, r.Runbook = sd.Inventory, sd.Runbook
		r.Title = cmp.Or(r.Title, sd.Title)
		r.Services = append(r.Services, sd.Services...)
	}
	if r.Runbook != "" {
		r.Verdict = NoVerdict
	}
	if v := a.verdict; v != nil {
		r.Verdict, r.Reason = v.Verdict, v.Reason
		r.Hypothesis = append(r.Hypothesis, v.Conditions...)
		r.Runbook = cmp.Or(r.Runbook, v.Runbook)
	}
	if r.Title == "" {
		r.Title = "Game day"
		if r.Runbook != "" {
			r.Title = "Game day: " + r.Runbook
		}
	}
	for _, row := range r.Rows {
		if row.Kind == Note {
			r.Notes = append(r.Notes, row)
		}
	}
	return r
}

// eventRows fills Events from the events the report was built from.
func (r *Report) eventRows() []EventRow {
	rows := make([]EventRow, 0, len(r.events))
	for _, e := range r.events {
		rows = append(rows, EventRow{Row: Row{Seq: e.Seq, At: secondsOf(e.Time.Sub(r.Start)), Time: e.Time.UTC(), Kind: e.Kind,
			Source: e.Source, Host: e.Host, Summary: e.Summary, By: e.By}, Data: e.DataJSON()})
	}
	return rows
}
