package runbooks

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/probes"
)

// BenchmarkLoad parses and validates the redis-failover example.
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "examples", "redis-failover.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("redis-failover.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObserve is the Runner's cost per probe reading: steadiness,
// every hypothesis condition and every abort condition of the example.
func BenchmarkObserve(b *testing.B) {
	rb, err := Load(filepath.Join("..", "examples", "redis-failover.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	m := newMonitor(rb, nil, nil)
	start := time.Now()
	m.judgeFrom(start)
	m.allow(rb.Steps[2].Allow, start)
	r := probes.Reading{Probe: "redis.latency", Target: "lab-redis", Status: probes.StatusOK, P99: 12, Count: 100, Unit: "ms"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Time = start.Add(time.Duration(i) * time.Millisecond)
		r.P99 = float64(i % 80) // crosses 50 ms now and then
		m.observe(r)
	}
}

// BenchmarkLoadVars parses a runbook whose host, parameters, durations
// and thresholds come from variables, given on the command line.
func BenchmarkLoadVars(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "vars", "vars.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var vars []yamldoc.Var
	for _, s := range []string{"target=redis-2", "delay=300ms", "bound=80ms"} {
		v, err := yamldoc.VarFlag(s)
		if err != nil {
			b.Fatal(err)
		}
		vars = append(vars, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("vars.yaml", data, vars...); err != nil {
			b.Fatal(err)
		}
	}
}
