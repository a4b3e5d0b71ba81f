package probes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

func TestNewSetBuildsProbesWithDefaults(t *testing.T) {
	inv := &targets.Inventory{Services: targets.Services{
		Redis: []targets.Redis{{Name: "r", Master: "mymaster", Sentinels: []string{"127.0.0.1:1"},
			Probes: targets.Probes{"latency": {Thresholds: []string{"p99 < 20ms"}}}}},
		Kafka: []targets.Kafka{{Name: "k", Brokers: []string{"127.0.0.1:2"}, Groups: []string{"g1", "g2"}, Topics: []string{"t"}}},
		Cassandra: []targets.Cassandra{{Name: "c", ContactPoints: []string{"127.0.0.1:3"}, Keyspace: "ks",
			Probes: targets.Probes{"quorum": {Disabled: true}}}},
	}}
	set, err := NewSet(inv, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range set.Probes() {
		got = append(got, p.Probe+" "+p.Target+" ["+strings.Join(p.Thresholds, "; ")+"] "+time.Duration(p.Window).String())
	}
	want := []string{
		"kafka.lag k g1/t [lag <= 1000] 10s",
		"kafka.lag k g2/t [lag <= 1000] 10s",
		"kafka.latency k gameday-canary [p99 < 250ms; success >= 99%] 10s",
		"redis.latency r [p99 < 20ms; success >= 99%] 10s",
		"sentinel.master r [master: stable] 10s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Probes() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range set.Latest() {
		if r.Status != StatusPending {
			t.Errorf("%s %s before Run: %s, want pending", r.Probe, r.Target, r.Status)
		}
	}
}

func TestNewSetRejectsBadThresholdNamingServiceAndProbe(t *testing.T) {
	inv := &targets.Inventory{Services: targets.Services{Kafka: []targets.Kafka{{Name: "orders-kafka", Brokers: []string{"127.0.0.1:2"},
		Groups: []string{"g"}, Probes: targets.Probes{"lag": {Thresholds: []string{"mean < 5ms"}}}}}}}
	_, err := NewSet(inv, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "service orders-kafka, probe lag") || strings.Count(err.Error(), "\n") > 0 {
		t.Fatalf("NewSet error %v, want one line naming service orders-kafka, probe lag", err)
	}
}

// hungProbe polls a target that never answers and ignores its context,
// as a driver stuck in a read without deadline would.
type hungProbe struct{ release chan struct{} }

func (hungProbe) Name() string   { return "test.hung" }
func (hungProbe) Target() string { return "nowhere" }
func (p hungProbe) Run(ctx context.Context, emit func(Reading)) {
	cfg := Config{Interval: 100 * time.Millisecond, Timeout: 100 * time.Millisecond, Window: time.Second}
	poll(ctx, p.Name(), p.Target(), cfg, func(context.Context) Reading { <-p.release; return Reading{} }, emit, nil)
}

// TestHungProbeDoesNotDelayOthers runs a probe whose target hangs beside a
// healthy one: the healthy one keeps reporting on time, the hung one
// reports errors instead of silence, and Run still returns.
func TestHungProbeDoesNotDelayOthers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	healthy := &openProbe{name: "test.ok", target: "here",
		cfg: Config{Rate: 20, Timeout: time.Second, Window: time.Second, Report: 100 * time.Millisecond},
		do:  func(context.Context) error { return nil }}
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(1000)
	s := &Set{rec: rec}
	for _, p := range []Probe{hungProbe{release}, healthy} {
		s.entries = append(s.entries, &entry{probe: p, judge: &judge{last: StatusPending, rec: rec}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	returned := make(chan struct{})
	go func() { s.Run(ctx); close(returned) }()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Set.Run did not return 5 s after its context ended, with one probe hung")
	}
	latest := s.Latest()
	if latest[1].Probe != "test.ok" || latest[1].Status != StatusOK || latest[1].Count < 10 {
		t.Errorf("healthy probe beside a hung one: %+v, want ok with its requests counted", latest[1])
	}
	var hungDetails []string
	for len(sub.C()) > 0 {
		ev := <-sub.C()
		if ev.Source == "probe:test.hung" && ev.Kind == timeline.ProbeWindow {
			hungDetails = append(hungDetails, ev.String("detail"))
		}
	}
	seen := strings.Join(hungDetails, "|")
	if latest[0].Status != StatusError || !strings.Contains(seen, "no answer within") || !strings.Contains(seen, "still hanging") {
		t.Errorf("hung probe: %+v (details seen %q), want error readings saying it does not answer and still hangs", latest[0], seen)
	}
}

// TestNewSetBuildsProbedServices: prometheus queries, http endpoints and
// commands from a loaded inventory become probes with their defaults.
func TestNewSetBuildsProbedServices(t *testing.T) {
	inv, err := targets.Parse("inv.yaml", []byte(`
hosts: [{name: db-1, address: 10.0.0.1}]
services:
  prometheus:
    - name: prom
      url: http://127.0.0.1:1
      queries:
        - {name: errors, query: 'sum(rate(x[1m]))', thresholds: ["value < 5"]}
        - {name: off, query: up, disabled: true}
  http:
    - name: api
      url: http://127.0.0.1:2/healthz
  command:
    - name: repl
      host: db-1
      command: [redis-cli, info, replication]
      value: 'connected_slaves:(\d+)'
      probes: {run: {thresholds: ["value >= 2"]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(inv, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range set.Probes() {
		got = append(got, p.Probe+" "+p.Target+" ["+strings.Join(p.Thresholds, "; ")+"]")
	}
	want := []string{
		"command.run repl [value >= 2]",
		"http.latency api [p99 < 1s; success >= 99%]",
		"prometheus.query prom errors [value < 5]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Probes() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
