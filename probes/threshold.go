package probes

import (
	"fmt"
	"strconv"

	"github.com/gameday-dev/gameday/targets"
)

// Threshold is an inventory threshold (parsed by targets.ParseThreshold)
// bound to how a Reading measures its metric.
type Threshold struct {
	targets.Threshold
}

// newThreshold parses text and checks that probes can measure its metric.
func newThreshold(text string) (Threshold, error) {
	t, err := targets.ParseThreshold(text)
	if err != nil {
		return Threshold{}, err
	}
	th := Threshold{t}
	if _, ok := th.measure(Reading{Count: 1}); !ok && t.Metric != "master" {
		return Threshold{}, fmt.Errorf("threshold %q: probes measure p50, p90, p99, max, success, errors, lag, lost, agree, sentinels, rate, value and master, not %s", text, t.Metric)
	}
	return th, nil
}

// measure returns r's value of t's metric, in t's unit, and whether r
// has it (no latency percentiles when nothing succeeded).
func (t Threshold) measure(r Reading) (float64, bool) {
	latencies := r.Count > r.Errors
	switch t.Metric {
	case "p50":
		return r.P50, latencies
	case "p90":
		return r.P90, latencies
	case "p99":
		return r.P99, latencies
	case "max":
		return r.Max, latencies
	case "success":
		if r.Unit == "%" {
			return r.Value, true
		}
		if r.Count == 0 {
			return 0, false
		}
		return 100 * float64(r.Count-r.Errors) / float64(r.Count), true
	case "errors":
		if t.Unit != "%" {
			return float64(r.Errors), true
		}
		if r.Count == 0 {
			return 0, false
		}
		return 100 * float64(r.Errors) / float64(r.Count), true
	case "lost":
		return float64(r.ErrorClasses["lost"]), true
	case "rate":
		if r.Window == 0 {
			return 0, false
		}
		return float64(r.Count) / r.Window.Std().Seconds(), true
	case "lag", "agree", "sentinels", "value":
		return r.Value, true
	case "master":
		if r.Stable {
			return 0, true
		}
		return 1, true
	}
	return 0, false
}

// Check reports whether r meets t, with the measured value as text for
// event summaries ("p99 812ms"). has is false when r lacks the metric.
func (t Threshold) Check(r Reading) (holds bool, measured string, has bool) {
	v, has := t.measure(r)
	if !has {
		return false, "", false
	}
	if t.Metric == "master" {
		word := "stable"
		if !r.Stable {
			word = "unstable"
		}
		return t.Holds(v), "master " + word, true
	}
	return t.Holds(v), t.Metric + " " + FormatValue(v, t.Unit), true
}

// FormatValue writes a measured value in its unit: "812ms", "1.25s",
// "99.50%", "1200".
func FormatValue(v float64, unit string) string {
	switch unit {
	case "ms":
		if v >= 1000 {
			return strconv.FormatFloat(v/1000, 'f', 2, 64) + "s"
		}
		if v >= 10 {
			return strconv.FormatFloat(v, 'f', 0, 64) + "ms"
		}
		return strconv.FormatFloat(v, 'f', 2, 64) + "ms"
	case "%":
		return strconv.FormatFloat(v, 'f', 2, 64) + "%"
	default:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
}

// DefaultErrorBudget is added to the thresholds of a request-sending probe
// whose thresholds say nothing about failures: a latency threshold alone
// judges only the requests that succeeded, and a failover that makes a
// quarter of them fail must not read "ok".
const DefaultErrorBudget = "success >= 99%"

// withErrorBudget returns cfg with DefaultErrorBudget unless a threshold
// already bounds success or errors.
func withErrorBudget(cfg Config) Config {
	for _, t := range cfg.Thresholds {
		if t.Metric == "success" || t.Metric == "errors" {
			return cfg
		}
	}
	budget := targets.Threshold{Metric: "success", Op: ">=", Value: 99, Unit: "%", Raw: DefaultErrorBudget}
	cfg.Thresholds = append(cfg.Thresholds, Threshold{budget})
	return cfg
}
