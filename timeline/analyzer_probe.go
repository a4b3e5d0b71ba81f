package timeline

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// probeTrack is what the analyzer knows about one probe.
type probeTrack struct {
	name, probe, target string
	service             string // "kind/name"
	unit                string
	window              time.Duration // longest window seen
	status              Status        // latest status set by an event
	recent              []alarmMark   // alarms of the last PreFaultWindow
	points              points        // one per window, append-only
	spans               []BreachSpan  // stretches not ok, in order
	open                bool          // the last span has not ended
}

// alarmMark is one alarm of a probe, and whether a fault on its service
// was in place (or not yet recovered) to explain it.
type alarmMark struct {
	at        time.Time
	explained bool
}

// flapping reports whether p was not ok at t, or raised an alarm in the
// minute before t that no fault explains: a probe that cannot be credited
// with detecting a fault starting at t.
func (p *probeTrack) flapping(t time.Time) bool {
	if p.status == StatusBreach || p.status == StatusError {
		return true
	}
	for _, m := range p.recent {
		if !m.explained && m.at.Before(t) && !m.at.Before(t.Add(-PreFaultWindow)) {
			return true
		}
	}
	return false
}

// remember records an alarm at t, dropping those too old to matter.
func (p *probeTrack) remember(t time.Time, explained bool) {
	keep := p.recent[:0]
	for _, m := range p.recent {
		if !m.at.Before(t.Add(-2 * PreFaultWindow)) {
			keep = append(keep, m)
		}
	}
	p.recent = append(keep, alarmMark{at: t, explained: explained})
}

// points are a probe's windows as parallel columns: compact, append-only
// (shared between an Analyzer and its clones), and cheap to scan.
type points struct {
	at     []int64 // Unix nanoseconds
	value  []float64
	p99    []float64 // 0: the probe reports no p99
	status []pointStatus
}

// pointStatus is a window's status in one byte.
type pointStatus uint8

const (
	pointOther pointStatus = iota // ok or pending
	pointBreach
	pointError
)

func (p *points) add(t time.Time, r *Reading) {
	st := pointOther
	switch r.Status {
	case StatusBreach:
		st = pointBreach
	case StatusError:
		st = pointError
	}
	p.at = append(p.at, t.UnixNano())
	p.value = append(p.value, r.Value)
	p.p99 = append(p.p99, r.P99)
	p.status = append(p.status, st)
}

func (p *points) len() int { return len(p.at) }

// time returns when window i closed.
func (p *points) time(i int) time.Time { return time.Unix(0, p.at[i]).UTC() }

// from returns the index of the first point at or after t (points are in
// feeding order, which is time order for one probe).
func (p *points) from(t time.Time) int {
	n := t.UnixNano()
	return sort.Search(len(p.at), func(i int) bool { return p.at[i] >= n })
}

func (p *probeTrack) clone() *probeTrack {
	c := *p
	c.points = points{at: slices.Clip(p.points.at), value: slices.Clip(p.points.value),
		p99: slices.Clip(p.points.p99), status: slices.Clip(p.points.status)}
	c.spans = slices.Clone(p.spans) // the last one's end is written later
	c.recent = slices.Clone(p.recent)
	return &c
}

// track returns the probe's track, creating it.
func (a *Analyzer) track(r *Reading) *probeTrack {
	name := r.Name()
	if p := a.probes[name]; p != nil {
		return p
	}
	p := &probeTrack{name: name, probe: r.Probe, target: r.Target, service: a.serviceOfProbe(r), status: StatusPending}
	a.probes[name] = p
	a.order = append(a.order, name)
	return p
}

// statusSet is the probe status an event of kind k sets, or "". Windows
// still pending say nothing.
func statusSet(k Kind, r *Reading) Status {
	switch k {
	case ProbeBreach:
		return StatusBreach
	case ProbeError:
		return StatusError
	case ProbeRecovered:
		return StatusOK
	case ProbeWindow:
		if r.Status == StatusOK || r.Status == StatusBreach || r.Status == StatusError {
			return r.Status
		}
	}
	return ""
}

// probe takes one probe.* event.
func (a *Analyzer) probe(e Event) {
	r := e.Reading()
	if r == nil || r.Probe == "" {
		return
	}
	p, t := a.track(r), e.Time
	if e.Kind == ProbeWindow {
		p.points.add(t, r)
		p.window = max(p.window, r.Window.Std())
		if r.Unit != "" {
			p.unit = r.Unit
		}
	}
	alarm := e.Kind == ProbeBreach || e.Kind == ProbeError
	if alarm {
		explained := false
		for _, f := range a.faults {
			explained = explained || f.attributes(p) && f.impactOpen(t)
		}
		p.remember(t, explained)
	}
	if st := statusSet(e.Kind, r); st != "" {
		p.status = st
		a.span(p, t, st)
	}
	for _, f := range a.faults {
		f.onProbe(a, p, e.Kind, t, r, alarm)
	}
}

// span follows the stretches during which p is not ok.
func (a *Analyzer) span(p *probeTrack, t time.Time, st Status) {
	switch {
	case st != StatusOK && !p.open:
		p.spans = append(p.spans, BreachSpan{Probe: p.name, Status: string(st), From: a.offsetOf(t)})
		p.open = true
	case st == StatusOK && p.open:
		to := a.offsetOf(t)
		p.spans[len(p.spans)-1].To = &to
		p.open = false
	}
}

// allOK reports whether every probe named in set reads ok now.
func (a *Analyzer) allOK(set map[string]bool) bool {
	for name := range set {
		if p := a.probes[name]; p == nil || p.status != StatusOK {
			return false
		}
	}
	return true
}

// BreachSpans lists every stretch a probe was not ok, in the order they
// began.
func (a *Analyzer) BreachSpans() []BreachSpan {
	out := []BreachSpan{}
	for _, name := range a.order {
		out = append(out, a.probes[name].spans...)
	}
	slices.SortStableFunc(out, func(x, y BreachSpan) int { return cmp.Compare(x.From, y.From) })
	return out
}
