package timeline

import (
	"fmt"
	"slices"
	"time"
)

// Row is one line of the event table that the report and the timeline
// pane show: every event but probe windows, with the same announcement
// from several sources (three Sentinels saying +sdown) merged into one.
type Row struct {
	Seq     uint64    `json:"seq"`
	At      Seconds   `json:"at_s"`
	Time    time.Time `json:"time"`
	Kind    Kind      `json:"kind"`
	Source  string    `json:"source"`
	Host    string    `json:"host,omitempty"`
	Summary string    `json:"summary"`
	By      string    `json:"by,omitempty"`
	// SeenBy counts the sources that announced a merged row, Of how many
	// could have (0: unknown).
	SeenBy int `json:"seen_by,omitempty"`
	Of     int `json:"of,omitempty"`

	base    string   // the summary without the "seen by" suffix
	mergeBy string   // the key that merges repeats
	sources []string // who announced it
}

// mergeWithin is how close repeats must be to become one row.
const mergeWithin = 5 * time.Second

// FlapGap is how soon after its previous status change a probe's next one
// counts as flapping: after the first FlapShown changes of such a run, the
// changes fold into one row that counts them.
const (
	FlapGap   = 30 * time.Second
	FlapShown = 4
)

// rowLog is the analyzer's significant rows. Rows are appended; a merged
// or flapping row is updated in place, so clone copies them.
type rowLog struct {
	rows  []Row
	gen   uint64              // bumped on every change, so screens redraw only then
	flaps map[string]*flapRun // per probe: its current run of quick changes
}

// flapRun is one probe's run of status changes, each within FlapGap of the
// previous one.
type flapRun struct {
	last     time.Time
	changes  int
	row      int // index of the folded row, -1 until the run folds
	breaches int
}

func (l *rowLog) clone() rowLog {
	c := rowLog{gen: l.gen, rows: slices.Clone(l.rows), flaps: make(map[string]*flapRun, len(l.flaps))}
	for k, f := range l.flaps {
		v := *f
		c.flaps[k] = &v
	}
	return c
}

// flap folds a probe's status change into its flapping row, and reports
// whether it did (the change then gets no row of its own).
func (l *rowLog) flap(e Event, a *Analyzer) bool {
	r := e.Reading()
	if r == nil || e.Kind != ProbeBreach && e.Kind != ProbeRecovered && e.Kind != ProbeError {
		return false
	}
	if l.flaps == nil {
		l.flaps = map[string]*flapRun{}
	}
	name := r.Name()
	f := l.flaps[name]
	if f == nil || e.Time.Sub(f.last) > FlapGap {
		f = &flapRun{row: -1}
		l.flaps[name] = f
	}
	f.last = e.Time
	f.changes++
	if e.Kind != ProbeRecovered {
		f.breaches++
	}
	if f.row < 0 && f.changes <= FlapShown {
		return false
	}
	if f.row < 0 {
		f.row = len(l.rows)
		l.rows = append(l.rows, Row{Seq: e.Seq, At: a.offsetOf(e.Time), Time: e.Time.UTC(), Kind: e.Kind,
			Source: e.Source, Host: e.Host})
		f.changes, f.breaches = 1, 0
		if e.Kind != ProbeRecovered {
			f.breaches = 1
		}
	}
	row := &l.rows[f.row]
	row.Summary = fmt.Sprintf("%s flapping: %s (%s) until %s", name, plural(f.changes, "%d status changes", "1 status change"),
		plural(f.breaches, "%d alarms", "1 alarm"), rel(a.offsetOf(e.Time), false))
	return true
}

// significant tells whether an event of kind k gets a row.
func significant(k Kind) bool { return k != ProbeWindow }

// add appends e's row, or merges it into a recent row announcing the same.
func (l *rowLog) add(e Event, a *Analyzer) {
	if !significant(e.Kind) {
		return
	}
	l.gen++
	if l.flap(e, a) {
		return
	}
	key, source, of := mergeKey(e, a)
	if key != "" {
		for i := len(l.rows) - 1; i >= 0 && i >= len(l.rows)-16; i-- {
			r := &l.rows[i]
			if e.Time.Sub(r.Time) > mergeWithin {
				break
			}
			if r.mergeBy != key || slices.Contains(r.sources, source) {
				continue
			}
			// Copy before writing: a clone may share this row.
			merged := *r
			merged.sources = append(slices.Clip(r.sources), source)
			merged.SeenBy = len(merged.sources)
			merged.Summary = seenBySuffix(merged.base, merged.SeenBy, merged.Of)
			l.rows[i] = merged
			return
		}
	}
	r := Row{Seq: e.Seq, At: a.offsetOf(e.Time), Time: e.Time.UTC(), Kind: e.Kind, Source: e.Source,
		Host: e.Host, Summary: e.Summary, By: e.By, base: e.Summary, mergeBy: key}
	if key != "" {
		r.sources, r.SeenBy, r.Of = []string{source}, 1, of
		r.base = mergeBase(e)
		r.Summary = seenBySuffix(r.base, 1, of)
	}
	l.rows = append(l.rows, r)
}

// mergeKey returns what makes two events the same announcement, the
// source that made this one, and how many sources could have; "" for an
// event that is never merged.
func mergeKey(e Event, a *Analyzer) (key, source string, of int) {
	switch e.Kind {
	case SentinelEvent:
		if d := DataAs[SentinelEventData](e); d != nil {
			return "sentinel\x00" + d.Service + "\x00" + d.Event + "\x00" + d.Payload, d.Sentinel, a.members.sentinels(d.Service)
		}
	case NodeUp, NodeDown:
		if d := DataAs[NodeData](e); d != nil {
			return string(e.Kind) + "\x00" + d.Service + "\x00" + d.Node, e.Source, 0
		}
	}
	return "", "", 0
}

// mergeBase is a merged row's summary without its source.
func mergeBase(e Event) string {
	if d := DataAs[SentinelEventData](e); d != nil {
		return fmt.Sprintf("%s %s %s", d.Service, d.Event, d.Payload)
	}
	return e.Summary
}

func seenBySuffix(base string, n, of int) string {
	switch {
	case of > 0:
		return fmt.Sprintf("%s — seen by %d/%d sentinels", base, n, of)
	case n > 1:
		return fmt.Sprintf("%s — seen by %d sources", base, n)
	}
	return base
}

// Rows returns the significant rows so far. The slice is shared: do not
// modify it; its rows do not change after the next mergeWithin of events.
func (a *Analyzer) Rows() []Row { return a.rows.rows }

// Generation changes whenever Rows or the figures may have changed.
func (a *Analyzer) Generation() uint64 { return a.rows.gen + uint64(a.events) }
