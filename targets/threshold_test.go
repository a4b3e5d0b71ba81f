package targets

import (
	"math"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	tests := map[string]struct {
		in   string
		want Threshold
	}{
		"p99 ms":          {"p99 < 50ms", Threshold{Metric: "p99", Op: "<", Value: 50, Unit: "ms"}},
		"seconds to ms":   {"p90<=1.5s", Threshold{Metric: "p90", Op: "<=", Value: 1500, Unit: "ms"}},
		"microseconds":    {"max < 500us", Threshold{Metric: "max", Op: "<", Value: 0.5, Unit: "ms"}},
		"lag count":       {"lag <= 1000", Threshold{Metric: "lag", Op: "<=", Value: 1000}},
		"success percent": {" success >= 99.9% ", Threshold{Metric: "success", Op: ">=", Value: 99.9, Unit: "%"}},
		"errors count":    {"errors == 0", Threshold{Metric: "errors", Op: "==", Value: 0}},
		"errors percent":  {"errors < 1%", Threshold{Metric: "errors", Op: "<", Value: 1, Unit: "%"}},
		"agree":           {"agree >= 2", Threshold{Metric: "agree", Op: ">=", Value: 2}},
		"master stable":   {"master: stable", Threshold{Metric: "master", Op: "stable"}},
		"not equal":       {"lost != 1", Threshold{Metric: "lost", Op: "!=", Value: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseThreshold(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Raw = tc.in
			if got != tc.want {
				t.Errorf("ParseThreshold(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}

func TestParseThresholdErrors(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"empty":         {"  ", `empty threshold; write e.g. "p99 < 50ms"`},
		"no unit":       {"p99 < 50", `threshold "p99 < 50": p99 is a latency; give a duration unit, e.g. p99 < 50ms`},
		"no op":         {"p99 50ms", `threshold "p99 50ms": want a comparison (<, <=, >, >=, ==, !=) after p99`},
		"bad number":    {"lag < lots", `threshold "lag < lots": want a number after <, got "lots"`},
		"nan":           {"lag < NaN", `threshold "lag < NaN": want a number after <, got "NaN"`},
		"typo metric":   {"lagg < 5", `threshold "lagg < 5": unknown metric "lagg"; did you mean "lag"? (known: p50, p90, p99, max, success, errors, lag, lost, agree, sentinels, rate, value, master)`},
		"percent range": {"success > 101%", `threshold "success > 101%": 101% is not between 0% and 100%`},
		"success unit":  {"success > 99", `threshold "success > 99": success is a percentage; write e.g. success > 99%`},
		"count unit":    {"lag < 5s", `threshold "lag < 5s": lag is a plain count and takes no unit (got "s")`},
		"master op":     {"master == 1", `threshold "master == 1": the master threshold is written "master: stable"`},
		"master other":  {"master: flaky", `threshold "master: flaky": the only "name: value" form is "master: stable"`},
		"no metric":     {"< 5", `threshold "< 5": want "METRIC OP VALUE", e.g. "p99 < 50ms"`},
		"p zero":        {"p0 < 5ms", `threshold "p0 < 5ms": unknown metric "p0"; did you mean "p50"? (known: p50, p90, p99, max, success, errors, lag, lost, agree, sentinels, rate, value, master)`},
		"p99.9":         {"p99.9 < 80ms", `threshold "p99.9 < 80ms": gameday measures the latency percentiles p50, p90, p99 and max, not p99.9`},
		"mean":          {"mean < 5ms", `threshold "mean < 5ms": gameday measures the latency percentiles p50, p90, p99 and max, not mean`},
		"errors unit":   {"errors < 5ms", `threshold "errors < 5ms": errors takes a percentage (5%) or a count (5), not "ms"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseThreshold(tc.in)
			if err == nil || err.Error() != tc.want {
				t.Errorf("ParseThreshold(%q) error = %v\nwant %s", tc.in, err, tc.want)
			}
		})
	}
}

func TestThresholdHolds(t *testing.T) {
	tests := map[string]struct {
		th    string
		v     float64
		holds bool
	}{
		"below":           {"p99 < 50ms", 49.9, true},
		"at strict bound": {"p99 < 50ms", 50, false},
		"at bound":        {"lag <= 1000", 1000, true},
		"above":           {"lag <= 1000", 1001, false},
		"seconds":         {"p99 < 1s", 999, true},
		"greater":         {"success >= 99.9%", 99.95, true},
		"less success":    {"success >= 99.9%", 99.8, false},
		"gt":              {"agree > 1", 2, true},
		"eq":              {"errors == 0", 0, true},
		"ne":              {"lost != 0", 0, false},
		"stable":          {"master: stable", 0, true},
		"switched":        {"master: stable", 1, false},
		"nan never holds": {"lag >= 0", math.NaN(), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			th, err := ParseThreshold(tc.th)
			if err != nil {
				t.Fatal(err)
			}
			if got := th.Holds(tc.v); got != tc.holds {
				t.Errorf("%q.Holds(%v) = %v, want %v", tc.th, tc.v, got, tc.holds)
			}
		})
	}
}

func TestParsedThresholds(t *testing.T) {
	got, err := ProbeConfig{Thresholds: []string{"p99 < 5ms", "errors == 0"}}.ParsedThresholds()
	if err != nil || len(got) != 2 || got[0].Metric != "p99" || got[1].Metric != "errors" {
		t.Fatalf("ParsedThresholds = %+v, %v", got, err)
	}
	if _, err := (ProbeConfig{Thresholds: []string{"bogus"}}).ParsedThresholds(); err == nil {
		t.Fatal("want an error for a bad threshold")
	}
}

func TestParseRequestRate(t *testing.T) {
	tests := map[string]struct {
		in   string
		want float64
		ok   bool
	}{
		"per second": {"10/s", 10, true},
		"per minute": {"600/m", 10, true},
		"plain":      {"2.5", 2.5, true},
		"spaces":     {" 5 / s ", 5, true},
		"hour":       {"5/h", 0, false},
		"word":       {"fast", 0, false},
		"inf":        {"Inf/s", 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseRequestRate(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseRequestRate(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}
