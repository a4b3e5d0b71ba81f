package timeline

import (
	"sort"
	"strings"
	"time"
)

// readingOf returns the reading of a probe.* event.
func readingOf(e Event) (*Reading, bool) {
	r := e.Reading()
	return r, r != nil && r.Probe != ""
}

// observation is one probe.* or sentinel.switch event, parsed once so that
// each fault's analysis is a walk over plain structs.
type observation struct {
	t      time.Time
	kind   Kind
	name   string // "redis.latency redis"; "" for sentinel.switch
	r      *Reading
	status string // the status the event sets, "" if none
}

// observations holds the parsed events in time order.
type observations struct {
	list      []observation
	maxWindow time.Duration // longest window seen, to bound overlap scans
}

// observe parses the probe and Sentinel events of evs (sorted by time).
func observe(evs []Event) *observations {
	o := &observations{}
	for _, e := range evs {
		if e.Kind == SentinelSwitch {
			o.list = append(o.list, observation{t: e.Time, kind: e.Kind, r: &Reading{}})
			continue
		}
		if !strings.HasPrefix(string(e.Kind), "probe.") {
			continue
		}
		r, ok := readingOf(e)
		if !ok {
			continue
		}
		ob := observation{t: e.Time, kind: e.Kind, name: r.Name(), r: r, status: statusSet(e.Kind, r)}
		o.maxWindow = max(o.maxWindow, r.Window.Std())
		o.list = append(o.list, ob)
	}
	return o
}

// statusSet is the probe status an event of kind k sets, or "". Windows
// still pending say nothing.
func statusSet(k Kind, r *Reading) string {
	switch k {
	case ProbeBreach:
		return "breach"
	case ProbeError:
		return "error"
	case ProbeRecovered:
		return "ok"
	case ProbeWindow:
		if r.Status == StatusOK || r.Status == StatusBreach || r.Status == StatusError {
			return string(r.Status)
		}
	}
	return ""
}

// from returns the index of the first observation at or after t.
func (o *observations) from(t time.Time) int {
	return sort.Search(len(o.list), func(i int) bool { return !o.list[i].t.Before(t) })
}

// isAlarm tells whether the observation is a probe turning bad: what
// "detect" means.
func (ob *observation) isAlarm() bool { return ob.kind == ProbeBreach || ob.kind == ProbeError }

// breachSpans follows every probe's status and returns the stretches during
// which it was not ok, in the order they began.
func breachSpans(o *observations, start time.Time) []BreachSpan {
	spans := []BreachSpan{}
	open := map[string]int{} // probe name → index in spans
	for _, ob := range o.list {
		if ob.status == "" {
			continue
		}
		i, isOpen := open[ob.name]
		switch {
		case ob.status != "ok" && !isOpen:
			open[ob.name] = len(spans)
			spans = append(spans, BreachSpan{Probe: ob.name, Status: ob.status, From: secondsOf(ob.t.Sub(start))})
		case ob.status == "ok" && isOpen:
			to := secondsOf(ob.t.Sub(start))
			spans[i].To = &to
			delete(open, ob.name)
		}
	}
	return spans
}
