package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

func mustThresholds(t *testing.T, texts ...string) []Threshold {
	t.Helper()
	var out []Threshold
	for _, s := range texts {
		th, err := newThreshold(s)
		if err != nil {
			t.Fatalf("threshold %q: %v", s, err)
		}
		out = append(out, th)
	}
	return out
}

func TestThresholdCheck(t *testing.T) {
	tests := map[string]struct {
		threshold string
		r         Reading
		holds     bool
		has       bool
		measured  string
	}{
		"p99 under":           {"p99 < 50ms", Reading{Count: 10, P99: 12}, true, true, "p99 12ms"},
		"p99 over in seconds": {"p99 < 1s", Reading{Count: 10, P99: 1250}, false, true, "p99 1.25s"},
		"p99 without samples": {"p99 < 50ms", Reading{Count: 3, Errors: 3}, false, false, ""},
		"lag at limit":        {"lag <= 1000", Reading{Value: 1000}, true, true, "lag 1000"},
		"success from unit":   {"success >= 99.9%", Reading{Value: 99.5, Unit: "%"}, false, true, "success 99.50%"},
		"success from counts": {"success >= 90%", Reading{Count: 10, Errors: 1}, true, true, "success 90.00%"},
		"error count":         {"errors < 1", Reading{Count: 10, Errors: 1}, false, true, "errors 1"},
		"error rate":          {"errors < 5%", Reading{Count: 100, Errors: 4}, true, true, "errors 4.00%"},
		"master stable":       {"master: stable", Reading{Stable: true}, true, true, "master stable"},
		"master switched":     {"master: stable", Reading{}, false, true, "master unstable"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			th := mustThresholds(t, tc.threshold)[0]
			holds, measured, has := th.Check(tc.r)
			if holds != tc.holds || has != tc.has || measured != tc.measured {
				t.Errorf("Check = %v %q %v, want %v %q %v", holds, measured, has, tc.holds, tc.measured, tc.has)
			}
		})
	}
}

func TestNewThresholdRejectsUnmeasured(t *testing.T) {
	for _, s := range []string{"mean < 5ms", "p95 < 5ms"} {
		if _, err := newThreshold(s); err == nil || !strings.Contains(err.Error(), "gameday measures the latency percentiles p50, p90, p99 and max") {
			t.Errorf("newThreshold(%q) = %v, want an error naming what probes measure", s, err)
		}
	}
}

func TestJudgeRecordsStatusChanges(t *testing.T) {
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(100)
	j := &judge{thresholds: mustThresholds(t, "p99 < 50ms"), rec: rec, last: StatusPending}
	t0 := time.Now()
	steps := []struct {
		r    Reading
		want Status
		kind timeline.Kind // status-change event expected, "" for none
		text string        // in its summary
	}{
		{Reading{Count: 10, P99: 3}, StatusOK, "", ""},
		{Reading{Count: 10, P99: 812}, StatusBreach, timeline.ProbeBreach, "redis.latency lab-redis p99 812ms breaches p99 < 50ms"},
		{Reading{Count: 10, P99: 900}, StatusBreach, "", ""},
		{Reading{Status: StatusError, Detail: "all 10 requests failed (refused)"}, StatusError, timeline.ProbeError, "cannot measure: all 10 requests failed"},
		{Reading{Count: 10, P99: 4}, StatusOK, timeline.ProbeRecovered, "recovered: p99 4.00ms holds p99 < 50ms"},
	}
	for i, s := range steps {
		s.r.Probe, s.r.Target, s.r.Time = "redis.latency", "lab-redis", t0.Add(time.Duration(i)*time.Second)
		got := j.apply(s.r)
		if got.Status != s.want {
			t.Fatalf("step %d: status %s, want %s", i, got.Status, s.want)
		}
		ev := <-sub.C()
		if ev.Kind != timeline.ProbeWindow || ev.Source != "probe:redis.latency" {
			t.Fatalf("step %d: first event %s from %s, want probe.window from probe:redis.latency", i, ev.Kind, ev.Source)
		}
		var back Reading
		if err := ev.Decode(&back); err != nil || back.Status != s.want {
			t.Fatalf("step %d: window event data %+v (%v), want status %s", i, back, err, s.want)
		}
		if s.kind == "" {
			continue
		}
		ev = <-sub.C()
		if ev.Kind != s.kind || !strings.Contains(ev.Summary, s.text) {
			t.Fatalf("step %d: event %s %q, want %s containing %q", i, ev.Kind, ev.Summary, s.kind, s.text)
		}
	}
	select {
	case ev := <-sub.C():
		t.Fatalf("unexpected extra event %s %q", ev.Kind, ev.Summary)
	default:
	}
}

func TestDefaultErrorBudgetParsesAsWritten(t *testing.T) {
	parsed := mustThresholds(t, DefaultErrorBudget)[0]
	built := withErrorBudget(Config{}).Thresholds[0]
	if parsed != built {
		t.Fatalf("withErrorBudget adds %+v, parsing %q gives %+v", built, DefaultErrorBudget, parsed)
	}
	kept := withErrorBudget(Config{Thresholds: mustThresholds(t, "errors < 3")})
	if len(kept.Thresholds) != 1 {
		t.Fatalf("an errors threshold must replace the default budget, got %+v", kept.Thresholds)
	}
}
