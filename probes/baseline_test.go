package probes

import (
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
)

// observedProbe builds a baseline of one probe, as NewSet would configure
// it, fed the given readings.
func observedProbe(t *testing.T, probe, target string, thresholds []string, readings []Reading) []Proposal {
	t.Helper()
	var ths []Threshold
	for _, s := range thresholds {
		th, err := newThreshold(s)
		if err != nil {
			t.Fatal(err)
		}
		ths = append(ths, th)
	}
	o := &observed{info: Info{Probe: probe, Target: target, Thresholds: thresholds}, current: ths}
	for i := range readings {
		readings[i].Probe, readings[i].Target = probe, target
		if readings[i].Status == "" {
			readings[i].Status = StatusOK
		}
	}
	o.readings = readings
	return o.propose()
}

func latencyWindows(p99s ...float64) []Reading {
	var out []Reading
	for _, v := range p99s {
		out = append(out, Reading{P50: v / 4, P90: v / 2, P99: v, Max: v, Count: 100, Value: v, Unit: "ms"})
	}
	return out
}

func TestBaselineProposals(t *testing.T) {
	tests := map[string]struct {
		probe, target string
		thresholds    []string
		readings      []Reading
		want          []string // "proposed verdict" per threshold
	}{
		"busy machine loosens p99": {
			// Redis on six JVMs: p99 58–87 ms against 50 ms.
			"redis.latency", "lab-redis", []string{"p99 < 50ms", "success >= 99%"},
			latencyWindows(58, 61, 64, 70, 72, 87, 66, 59),
			[]string{"p99 < 130ms loosen", "success >= 99% holds"},
		},
		"idle machine tightens": {
			"redis.latency", "r", []string{"p99 < 50ms"},
			latencyWindows(1.2, 1.4, 1.1, 1.9, 1.3),
			[]string{"p99 < 2.6ms tighten"},
		},
		"worst window sets the bound": {
			"kafka.latency", "k gameday-canary", []string{"p99 < 250ms"},
			latencyWindows(100, 110, 120, 400, 105),
			[]string{"p99 < 500ms loosen"},
		},
		"one slow request raises the bound": {
			"redis.latency", "r", []string{"p99 < 50ms"},
			append(latencyWindows(2, 2.2, 2.1, 2.3), Reading{P50: 0.5, P99: 2.4, Max: 31, Count: 100}),
			[]string{"p99 < 39ms tighten"},
		},
		"one slow request does not raise a p50 bound": {
			// p50 windows 0.5–0.6 ms (median 0.55): the 31 ms request cannot be a median.
			"redis.latency", "r", []string{"p50 < 50ms"},
			append(latencyWindows(2, 2.2, 2.1, 2.3), Reading{P50: 0.6, P99: 2.4, Max: 31, Count: 100}),
			[]string{"p50 < 1.1ms tighten"},
		},
		"lag over the peak": {
			"kafka.lag", "k g/t", []string{"lag <= 1000"},
			[]Reading{{Value: 10}, {Value: 40}, {Value: 25}},
			[]string{"lag <= 140 tighten"},
		},
		"success floor less one request": {
			"cassandra.quorum", "c", []string{"success >= 99.9%"},
			[]Reading{{Count: 200, Errors: 0}, {Count: 200, Errors: 1}, {Count: 200, Errors: 0}},
			[]string{"success >= 99% loosen"},
		},
		"master stable is kept": {
			"sentinel.master", "r", []string{"master: stable"},
			[]Reading{{Stable: true}, {Stable: true}, {Stable: true}},
			[]string{"- kept"},
		},
		"errors make it unstable": {
			"redis.latency", "r", []string{"p99 < 50ms"},
			append(latencyWindows(2, 3, 2), Reading{Status: StatusError, Detail: "dial tcp: connection refused"}),
			[]string{"- unstable"},
		},
		"spikes make it unstable": {
			"redis.latency", "r", []string{"p99 < 50ms"},
			latencyWindows(3, 3, 3, 200, 3),
			[]string{"- unstable"},
		},
		"a flapping master is unstable": {
			"sentinel.master", "r", []string{"master: stable"},
			[]Reading{{Stable: true}, {Stable: false}, {Stable: true}},
			[]string{"- unstable"},
		},
		"prometheus value upper bound": {
			"prometheus.query", "prom errors", []string{"value < 5"},
			[]Reading{{Value: 0.5}, {Value: 0.8}, {Value: 0.6}, {Value: 0.7}},
			[]string{"value < 1.2 tighten"},
		},
		"lower bound on a value is kept": {
			"command.run", "replicas", []string{"value >= 2"},
			[]Reading{{Value: 2, Count: 1}, {Value: 2, Count: 1}, {Value: 2, Count: 1}},
			[]string{"- kept"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			props := observedProbe(t, tc.probe, tc.target, tc.thresholds, tc.readings)
			var got []string
			for _, p := range props {
				got = append(got, orDashT(p.Proposed)+" "+p.Verdict)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				for _, p := range props {
					t.Logf("%+v", p)
				}
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func orDashT(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func TestRoundUp(t *testing.T) {
	for in, want := range map[float64]float64{37.2: 38, 0.843: 0.85, 1234: 1300, 140: 140, 139.5: 140, 0.0011: 0.0011, 9.99: 10} {
		if got := roundUp(in); got != want {
			t.Errorf("roundUp(%g) = %g, want %g", in, got, want)
		}
	}
}

func TestSettingsOf(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"redis.latency", "cache"}:                     "redis/cache latency",
		{"sentinel.master", "cache"}:                   "redis/cache master",
		{"kafka.lag", "orders g1/t"}:                   "kafka/orders lag",
		{"kafka.latency", "orders gameday-canary"}:     "kafka/orders latency",
		{"cassandra.quorum", "c"}:                      "cassandra/c quorum",
		{"prometheus.query", "prom errors"}:            "prometheus/prom errors",
		{"prometheus.query", `prom errors {code="5"}`}: "prometheus/prom errors",
		{"http.latency", "api"}:                        "http/api latency",
		{"command.run", "repl"}:                        "command/repl run",
	} {
		got, ok := SettingsOf(in[0], in[1])
		if !ok || got.String() != want {
			t.Errorf("SettingsOf(%q, %q) = %v %v, want %s", in[0], in[1], got, ok, want)
		}
	}
	if _, ok := SettingsOf("test.hung", "x"); ok {
		t.Error("SettingsOf knows test.hung")
	}
}

func TestChangesTakeTheLoosestOfSharedSettings(t *testing.T) {
	at := targets.ThresholdsAt{Kind: "kafka", Service: "k", Probe: "lag"}
	props := []Proposal{
		{At: at, Index: 0, Current: "lag <= 1000", Proposed: "lag <= 140"},
		{At: at, Index: 0, Current: "lag <= 1000", Proposed: "lag <= 300"},
		{At: targets.ThresholdsAt{Kind: "redis", Service: "r", Probe: "latency"}, Index: 0, Current: "p99 < 50ms", Proposed: "p99 < 140ms"},
		{At: targets.ThresholdsAt{Kind: "redis", Service: "r", Probe: "latency"}, Index: 1, Current: "success >= 99%", Proposed: "success >= 99%"},
		{At: targets.ThresholdsAt{Kind: "redis", Service: "r", Probe: "master"}, Index: 0, Current: "master: stable"},
		{At: targets.ThresholdsAt{Kind: "cassandra", Service: "c", Probe: "quorum"}, Index: 0, Current: "success >= 99.9%", Verdict: VerdictUnstable},
	}
	var got []string
	for _, c := range Changes(props) {
		got = append(got, c.At.String()+": "+strings.Join(c.Thresholds, "; "))
	}
	want := []string{"kafka/k lag: lag <= 300", "redis/r latency: p99 < 140ms; success >= 99%"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Changes =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
