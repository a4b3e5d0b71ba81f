package targets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// Threshold is one steady-state condition from the inventory, such as
// "p99 < 50ms", "lag <= 1000", "success >= 99.9%" or "master: stable".
type Threshold struct {
	// Metric is what is compared: "p50", "p99", "max", "lag", "success",
	// "errors", "master", … (see ThresholdMetrics).
	Metric string
	// Op is "<", "<=", ">", ">=", "==" or "!=", or "stable" for
	// "master: stable".
	Op string
	// Value is the bound, in Unit. Durations are normalised to
	// milliseconds whatever unit they were written in ("1s" → 1000, "ms").
	Value float64
	// Unit is "ms" for durations, "%" for percentages, "" for counts.
	Unit string
	// Raw is the threshold as written.
	Raw string
}

// ThresholdMetrics are the metric names a threshold may use. Latency is
// measured as p50, p90, p99 and max only: a threshold on any other
// percentile, a minimum or a mean could never be judged, so it is refused.
var ThresholdMetrics = []string{
	"p50", "p90", "p99", "max", // latency, in a duration unit
	"success", "errors", // success in %, errors in % or a count
	"lag", "lost", "agree", "sentinels", "rate", // plain counts
	"value",  // a probe's own number: a PromQL result, a command's output
	"master", // only as "master: stable"
}

// String returns the threshold as written.
func (t Threshold) String() string { return t.Raw }

// Holds reports whether a measured value v (in t.Unit: milliseconds for
// latencies, percent for "%") satisfies the threshold. For "master:
// stable", v is the number of master changes (or disagreements) in the
// window, and the threshold holds when it is zero.
func (t Threshold) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	case "stable":
		return v == 0
	}
	return false
}

// thresholdOps are tried longest first so "<=" is not read as "<".
var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// durationUnits convert to milliseconds.
var durationUnits = map[string]float64{
	"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1000, "m": 60000,
}

// ParseThreshold parses a threshold such as "p99 < 50ms", "lag <= 1000",
// "success >= 99.9%" or "master: stable". Its errors are one sentence
// saying what form was expected.
func ParseThreshold(s string) (Threshold, error) {
	t := Threshold{Raw: s}
	text := strings.TrimSpace(s)
	if text == "" {
		return t, fmt.Errorf("empty threshold; write e.g. %q", "p99 < 50ms")
	}
	if m, rest, ok := strings.Cut(text, ":"); ok {
		if strings.TrimSpace(m) != "master" || strings.TrimSpace(rest) != "stable" {
			return t, fmt.Errorf("threshold %q: the only \"name: value\" form is %q", s, "master: stable")
		}
		t.Metric, t.Op = "master", "stable"
		return t, nil
	}
	i := strings.IndexFunc(text, func(r rune) bool { return !isMetricRune(r) })
	if i <= 0 {
		return t, fmt.Errorf("threshold %q: want \"METRIC OP VALUE\", e.g. %q", s, "p99 < 50ms")
	}
	t.Metric = text[:i]
	rest := strings.TrimSpace(text[i:])
	for _, op := range thresholdOps {
		if strings.HasPrefix(rest, op) {
			t.Op = op
			rest = strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if t.Op == "" {
		return t, fmt.Errorf("threshold %q: want a comparison (<, <=, >, >=, ==, !=) after %s", s, t.Metric)
	}
	j := strings.IndexFunc(rest, func(r rune) bool {
		return !(unicode.IsDigit(r) || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E')
	})
	if j < 0 {
		j = len(rest)
	}
	num, unit := rest[:j], strings.TrimSpace(rest[j:])
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return t, fmt.Errorf("threshold %q: want a number after %s, got %q", s, t.Op, rest)
	}
	t.Value = v
	if err := t.checkUnit(unit); err != nil {
		return t, fmt.Errorf("threshold %q: %w", s, err)
	}
	return t, nil
}

func isMetricRune(r rune) bool {
	return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.')
}

// checkUnit validates unit against the metric and normalises durations to
// milliseconds.
func (t *Threshold) checkUnit(unit string) error {
	switch metricClass(t.Metric) {
	case "latency":
		f, ok := durationUnits[unit]
		if !ok {
			return fmt.Errorf("%s is a latency; give a duration unit, e.g. %s %s %gms", t.Metric, t.Metric, t.Op, t.Value)
		}
		t.Value *= f
		t.Unit = "ms"
	case "percent":
		if unit != "%" {
			return fmt.Errorf("%s is a percentage; write e.g. %s %s %g%%", t.Metric, t.Metric, t.Op, t.Value)
		}
		t.Unit = "%"
	case "percent-or-count":
		if unit != "%" && unit != "" {
			return fmt.Errorf("%s takes a percentage (%g%%) or a count (%g), not %q", t.Metric, t.Value, t.Value, unit)
		}
		t.Unit = unit
	case "count":
		if unit != "" {
			return fmt.Errorf("%s is a plain count and takes no unit (got %q)", t.Metric, unit)
		}
	case "master":
		return fmt.Errorf("the master threshold is written %q", "master: stable")
	case "unmeasured":
		return fmt.Errorf("gameday measures the latency percentiles p50, p90, p99 and max, not %s", t.Metric)
	default:
		return fmt.Errorf("unknown metric %q%s (known: %s)", t.Metric,
			yamldoc.DidYouMean(t.Metric, ThresholdMetrics), strings.Join(ThresholdMetrics, ", "))
	}
	if t.Unit == "%" && (t.Value < 0 || t.Value > 100) {
		return fmt.Errorf("%g%% is not between 0%% and 100%%", t.Value)
	}
	return nil
}

func metricClass(m string) string {
	switch m {
	case "p50", "p90", "p99", "max":
		return "latency"
	case "min", "mean":
		return "unmeasured"
	case "success":
		return "percent"
	case "errors":
		return "percent-or-count"
	case "lag", "lost", "agree", "sentinels", "rate", "value":
		return "count"
	case "master":
		return "master"
	}
	if len(m) > 1 && m[0] == 'p' {
		if q, err := strconv.ParseFloat(m[1:], 64); err == nil && q > 0 && q <= 100 && !strings.ContainsAny(m[1:], "eE+-") {
			return "unmeasured" // a percentile, but not one gameday measures
		}
	}
	return ""
}

// ParsedThresholds parses the probe's thresholds (already validated when
// the inventory was loaded).
func (c ProbeConfig) ParsedThresholds() ([]Threshold, error) {
	out := make([]Threshold, 0, len(c.Thresholds))
	for _, s := range c.Thresholds {
		t, err := ParseThreshold(s)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
