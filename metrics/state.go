package metrics

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// MaxEndedFaults is how many ended faults stay exported, at 0, after the
// fault ended: enough for a PromQL range over a game day to show each
// armed window rising and falling, while a day of drills does not grow
// the series without bound. Faults in place are always exported.
const MaxEndedFaults = 20

// StaleRow is how long a probe row that is not one of the session's own
// probes (one series of a PromQL query's result) stays exported after its
// last window: a series that left the query's result goes away.
const StaleRow = 5 * time.Minute

// state is what the exporter keeps from the events: the analyzer every
// fault figure comes from, each probe row's latest reading, and counters.
// It is not safe for concurrent use (the Exporter's lock guards it).
type state struct {
	an     *timeline.Analyzer
	start  *timeline.Event // the session's session.start
	latest map[probeKey]*probeRow
	notes  map[string]*faultNote // by fault ID, from fault events

	// Counters survive a reset: seq is the latest event counted, so an
	// event a reset hands over again is not counted twice.
	seq     uint64
	events  map[timeline.Kind]float64
	windows map[probeKey]map[timeline.Status]float64

	// foreign are faults only the session's ledger listing names (armed
	// by another gameday process on the same ledger), by ID.
	foreign map[string]*foreignFault
}

type probeKey struct{ probe, target string }

type probeRow struct {
	r  *timeline.Reading
	at time.Time // when its window was recorded
}

// faultNote is what the fault events say that the analyzer's report does
// not: who armed it and its TTL.
type faultNote struct {
	by  string
	ttl time.Duration
}

type foreignFault struct {
	armed   inject.Armed
	ended   bool
	endedAt time.Time
}

func newState() *state {
	s := &state{events: map[timeline.Kind]float64{}, windows: map[probeKey]map[timeline.Status]float64{},
		foreign: map[string]*foreignFault{}}
	s.reset()
	return s
}

// reset forgets what the next events rebuild: the session's kept history
// follows.
func (s *state) reset() {
	s.an = timeline.NewAnalyzer()
	s.start = nil
	s.latest = map[probeKey]*probeRow{}
	s.notes = map[string]*faultNote{}
}

// take feeds one event.
func (s *state) take(e timeline.Event) {
	s.an.Feed(e)
	counted := e.Seq > s.seq
	if counted {
		s.seq = e.Seq
		s.events[e.Kind]++
	}
	switch {
	case e.Kind == timeline.SessionStart:
		s.start = &e
	case e.Kind == timeline.ProbeWindow:
		r := e.Reading()
		if r == nil || r.Probe == "" {
			return
		}
		k := probeKey{r.Probe, r.Target}
		s.latest[k] = &probeRow{r: r, at: e.Time}
		if counted {
			w := s.windows[k]
			if w == nil {
				w = map[timeline.Status]float64{timeline.StatusOK: 0, timeline.StatusBreach: 0, timeline.StatusError: 0}
				s.windows[k] = w
			}
			w[r.Status]++
		}
	case strings.HasPrefix(string(e.Kind), "fault."):
		fd := e.Fault()
		if fd == nil || fd.FaultID == "" {
			return
		}
		n := s.notes[fd.FaultID]
		if n == nil {
			n = &faultNote{}
			s.notes[fd.FaultID] = n
		}
		if e.By != "" && n.by == "" {
			n.by = e.By
		}
		if fd.TTL > 0 {
			n.ttl = fd.TTL.Std()
		}
	}
}

// snapshot is one scrape's worth of metrics.
type snapshot struct {
	source, inventory, runbook string
	start                      time.Time // zero: no session.start seen
	people                     []session.Person
	events                     map[timeline.Kind]float64
	probes                     []probeSnap
	faults                     []faultSnap
}

type probeSnap struct {
	probe, target string
	status        timeline.Status
	r             *timeline.Reading // nil while pending
	windows       map[timeline.Status]float64
}

type faultSnap struct {
	id, kind, hosts, params, by string
	armed                       bool
	ttl                         time.Duration
	remaining                   *time.Duration // while armed, when the ledger listing has its deadline
	endedAt                     time.Time      // zero while in place
	rep                         *timeline.FaultReport
}

// snapshot builds a scrape at now from the state, the session's latest
// ledger listing, the people attached, who armed what, and the session's
// probes.
func (s *state) snapshot(now time.Time, listed []inject.Armed, people []session.Person,
	armedBy func(string) string, infos []probes.Info) snapshot {
	out := snapshot{people: people, events: maps.Clone(s.events)}
	if s.start != nil {
		out.source, out.start = s.start.Source, s.start.Time
		if sd := s.start.Session(); sd != nil {
			out.inventory, out.runbook = sd.Inventory, sd.Runbook
		}
	}
	out.probes = s.probeRows(now, infos)
	out.faults = s.faultRows(now, listed, armedBy)
	return out
}

// probeRows lists the session's probes in their order (pending until
// their first window), then the other rows the readings brought.
func (s *state) probeRows(now time.Time, infos []probes.Info) []probeSnap {
	var out []probeSnap
	own := map[probeKey]bool{}
	row := func(k probeKey) probeSnap {
		p := probeSnap{probe: k.probe, target: k.target, status: timeline.StatusPending, windows: maps.Clone(s.windows[k])}
		if l := s.latest[k]; l != nil {
			p.r, p.status = l.r, l.r.Status
		}
		return p
	}
	for _, in := range infos {
		k := probeKey{in.Probe, in.Target}
		if !own[k] {
			own[k] = true
			out = append(out, row(k))
		}
	}
	keys := slices.SortedFunc(maps.Keys(s.latest), func(a, b probeKey) int {
		return strings.Compare(a.probe+"\x00"+a.target, b.probe+"\x00"+b.target)
	})
	for _, k := range keys {
		switch {
		case own[k]:
		case now.Sub(s.latest[k].at) > StaleRow:
			delete(s.latest, k)
			delete(s.windows, k)
		default:
			out = append(out, row(k))
		}
	}
	return out
}

// faultRows lists the faults in place and the latest ended ones: those
// this session recorded from the analyzer's reports, then those only the
// ledger listing names.
func (s *state) faultRows(now time.Time, listed []inject.Armed, armedBy func(string) string) []faultSnap {
	byID := map[string]inject.Armed{}
	for _, a := range listed {
		byID[a.ID] = a
	}
	var out []faultSnap
	reported := map[string]bool{}
	for _, rep := range s.an.Faults() {
		if rep.ID == "" {
			continue // a fault event without an ID (an old journal): nothing to name it by
		}
		reported[rep.ID] = true
		f := faultSnap{id: rep.ID, kind: rep.Kind, hosts: hostsLabel(rep.Hosts), rep: &rep,
			armed: rep.State == string(inject.StateArmed)}
		params := timeline.Params{}
		for _, p := range rep.Params {
			params[p.Name] = p.Value
		}
		f.params = params.String()
		if n := s.notes[rep.ID]; n != nil {
			f.by, f.ttl = n.by, n.ttl
		}
		if f.by == "" {
			f.by = armedBy(rep.ID)
		}
		if rep.EndedAt != nil {
			f.endedAt = s.an.Start().Add(rep.EndedAt.Duration())
		}
		if a, ok := byID[rep.ID]; ok && f.armed {
			f.remaining = remaining(a.Deadline, now)
		}
		out = append(out, f)
	}
	out = append(out, s.foreignRows(now, listed, reported)...)
	return keepEnded(out, MaxEndedFaults)
}

// foreignRows follows the faults only the ledger listing names: armed
// while listed, ended (0) once the listing no longer has them.
func (s *state) foreignRows(now time.Time, listed []inject.Armed, reported map[string]bool) []faultSnap {
	seen := map[string]bool{}
	for _, a := range listed {
		if reported[a.ID] {
			continue
		}
		seen[a.ID] = true
		s.foreign[a.ID] = &foreignFault{armed: a}
	}
	var out []faultSnap
	for id, f := range s.foreign {
		switch {
		case reported[id]:
			delete(s.foreign, id) // its events arrived: the analyzer has it
			continue
		case !seen[id] && !f.ended:
			f.ended, f.endedAt = true, now
		}
		a := f.armed
		row := faultSnap{id: id, kind: a.Request.Kind, hosts: hostsLabel(a.Request.Hosts),
			params: timeline.Params(a.Request.Params).String(), by: a.Request.By, ttl: a.Deadline.Sub(a.ArmedAt),
			armed: !f.ended && a.State == inject.StateArmed, endedAt: f.endedAt}
		if row.armed {
			row.remaining = remaining(a.Deadline, now)
		}
		out = append(out, row)
	}
	// Forget the oldest ended ones beyond the bound.
	slices.SortFunc(out, func(x, y faultSnap) int { return cmp.Or(x.endedAt.Compare(y.endedAt), strings.Compare(x.id, y.id)) })
	kept := keepEnded(out, MaxEndedFaults)
	if len(kept) < len(out) {
		keep := map[string]bool{}
		for _, f := range kept {
			keep[f.id] = true
		}
		for _, f := range out {
			if !keep[f.id] {
				delete(s.foreign, f.id)
			}
		}
	}
	out = kept
	return out
}

// keepEnded keeps every fault in place and the latest n ended ones (of
// two that ended at the same moment, the later in fs), in their order.
func keepEnded(fs []faultSnap, n int) []faultSnap {
	var ended []int
	for i, f := range fs {
		if !f.endedAt.IsZero() {
			ended = append(ended, i)
		}
	}
	if len(ended) <= n {
		return fs
	}
	slices.SortFunc(ended, func(i, j int) int {
		if c := fs[j].endedAt.Compare(fs[i].endedAt); c != 0 {
			return c
		}
		return j - i
	})
	drop := map[int]bool{}
	for _, i := range ended[n:] {
		drop[i] = true
	}
	out := make([]faultSnap, 0, len(fs)-len(drop))
	for i, f := range fs {
		if !drop[i] {
			out = append(out, f)
		}
	}
	return out
}

func remaining(deadline, now time.Time) *time.Duration {
	if deadline.IsZero() {
		return nil
	}
	d := max(0, deadline.Sub(now))
	return &d
}

// hostsLabel is a fault's hosts as one label value: sorted, comma-joined.
func hostsLabel(hosts []string) string {
	return strings.Join(slices.Sorted(slices.Values(hosts)), ",")
}
