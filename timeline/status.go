package timeline

import (
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

// statusChange reports the probe status an event sets, if it sets one.
// Windows still pending say nothing.
func statusChange(e Event) (probe, status string, ok bool) {
	if !strings.HasPrefix(string(e.Kind), "probe.") {
		return "", "", false
	}
	r, found := readingOf(e)
	if !found {
		return "", "", false
	}
	switch e.Kind {
	case ProbeBreach:
		return r.name(), "breach", true
	case ProbeError:
		return r.name(), "error", true
	case ProbeRecovered:
		return r.name(), "ok", true
	case ProbeWindow:
		if r.Status == "ok" || r.Status == "breach" || r.Status == "error" {
			return r.name(), r.Status, true
		}
	}
	return "", "", false
}

// isAlarm tells whether e is a probe turning bad: what "detect" means.
func isAlarm(e Event) bool { return e.Kind == ProbeBreach || e.Kind == ProbeError }

// breachSpans follows every probe's status through evs (sorted by time) and
// returns the stretches during which it was not ok, in the order they began.
func breachSpans(evs []Event, start time.Time) []BreachSpan {
	spans := []BreachSpan{}
	open := map[string]int{} // probe name → index in spans
	for _, e := range evs {
		probe, status, ok := statusChange(e)
		if !ok {
			continue
		}
		i, isOpen := open[probe]
		switch {
		case status != "ok" && !isOpen:
			open[probe] = len(spans)
			spans = append(spans, BreachSpan{Probe: probe, Status: status, From: secondsOf(e.Time.Sub(start))})
		case status == "ok" && isOpen:
			to := secondsOf(e.Time.Sub(start))
			spans[i].To = &to
			delete(open, probe)
		}
	}
	return spans
}
