package runbooks

import (
	"testing"

	"github.com/gameday-dev/gameday/probes"
)

func TestExprCheck(t *testing.T) {
	failing := probes.Reading{Status: probes.StatusError, Count: 90, Errors: 90, Unit: "ms"}
	lagError := probes.Reading{Status: probes.StatusError, Detail: "broker unreachable"}
	cases := map[string]struct {
		cond      string
		r         probes.Reading
		holds     bool
		has       bool
		measured  string
		useAborts bool
	}{
		"p99 under":                         {cond: "p99 < 50ms", r: probes.Reading{Status: probes.StatusOK, P99: 12, Count: 10}, holds: true, has: true, measured: "p99 12ms"},
		"p99 over":                          {cond: "p99 < 50ms", r: probes.Reading{Status: probes.StatusBreach, P99: 612, Count: 10}, holds: false, has: true, measured: "p99 612ms"},
		"p99 when every request failed":     {cond: "p99 < 50ms", r: failing, has: false},
		"success when every request failed": {cond: "success < 90%", r: failing, holds: true, has: true, measured: "success 0.00%", useAborts: true},
		"lag of a probe in error":           {cond: "lag <= 1000", r: lagError, has: false},
		"lag":                               {cond: "lag <= 1000", r: probes.Reading{Status: probes.StatusOK, Value: 1200}, holds: false, has: true, measured: "lag 1200"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			use := useHypothesis
			if tc.useAborts {
				use = useAbort
			}
			e, err := parseExpr(tc.cond, use)
			if err != nil {
				t.Fatal(err)
			}
			holds, measured, has := e.check(tc.r)
			if holds != tc.holds || has != tc.has || measured != tc.measured {
				t.Errorf("check = %v %q %v, want %v %q %v", holds, measured, has, tc.holds, tc.measured, tc.has)
			}
		})
	}
}

func TestMeasuredValue(t *testing.T) {
	cases := map[string]float64{"p99 812ms": 812, "p99 1.25s": 1250, "success 99.50%": 99.5, "lag 1200": 1200}
	for text, want := range cases {
		if got, ok := measuredValue(text); !ok || got != want {
			t.Errorf("measuredValue(%q) = %v %v, want %v", text, got, ok, want)
		}
	}
	if _, ok := measuredValue("master stable"); ok {
		t.Error("measuredValue read a number from \"master stable\"")
	}
}
