package timeline

import (
	"sort"
	"strings"
	"time"
)

// probeReading is the part of a probes.Reading the report reads, taken
// straight from an event's Data. (timeline cannot import probes: probes
// imports timeline.) Reading Data directly instead of through Event.Decode
// keeps a 10k-event export fast; live and reloaded events hold the same
// JSON-shaped values, since producers attach Readings with WithData.
type probeReading struct {
	Probe, Target, Status string
	Value, P99            float64
	Window                time.Duration
}

// readingOf extracts the reading of a probe.* event.
func readingOf(e Event) (probeReading, bool) {
	p := probeReading{
		Probe:  e.String("probe"),
		Target: e.String("target"),
		Status: e.String("status"),
		Value:  number(e.Data["value"]),
		P99:    number(e.Data["p99"]),
	}
	if p.Probe == "" {
		return p, false
	}
	switch w := e.Data["window"].(type) {
	case string:
		p.Window, _ = time.ParseDuration(w)
	case float64:
		p.Window = time.Duration(w)
	}
	return p, true
}

// name is how reports name the probe: "redis.latency redis".
func (p probeReading) name() string {
	return strings.TrimSpace(p.Probe + " " + p.Target)
}

func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return 0
}

// observation is one probe.* or sentinel.switch event, parsed once so that
// each fault's analysis is a walk over plain structs.
type observation struct {
	t      time.Time
	kind   Kind
	name   string // "redis.latency redis"; "" for sentinel.switch
	r      probeReading
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
			o.list = append(o.list, observation{t: e.Time, kind: e.Kind})
			continue
		}
		if !strings.HasPrefix(string(e.Kind), "probe.") {
			continue
		}
		r, ok := readingOf(e)
		if !ok {
			continue
		}
		ob := observation{t: e.Time, kind: e.Kind, name: r.name(), r: r, status: statusSet(e.Kind, r)}
		o.maxWindow = max(o.maxWindow, r.Window)
		o.list = append(o.list, ob)
	}
	return o
}

// statusSet is the probe status an event of kind k sets, or "". Windows
// still pending say nothing.
func statusSet(k Kind, r probeReading) string {
	switch k {
	case ProbeBreach:
		return "breach"
	case ProbeError:
		return "error"
	case ProbeRecovered:
		return "ok"
	case ProbeWindow:
		if r.Status == "ok" || r.Status == "breach" || r.Status == "error" {
			return r.Status
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
