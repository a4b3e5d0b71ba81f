package probes

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// lognormalLatencies returns n latencies shaped like a service's: a
// lognormal body around 2 ms with a long tail, in microseconds.
func lognormalLatencies(n int) []time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]time.Duration, n)
	for i := range out {
		us := math.Exp(math.Log(2000) + 0.8*r.NormFloat64())
		out[i] = time.Duration(us * float64(time.Microsecond))
	}
	return out
}

// p99Error records samples in a Window and returns the HDR p99, the exact
// p99 (nearest rank over the sorted samples) and the relative error.
func p99Error(samples []time.Duration) (hdr, exact, relErr float64) {
	t0 := time.Unix(1_700_000_000, 0)
	w := NewWindow(10 * time.Second)
	for _, d := range samples {
		w.Observe(t0, d, 0)
	}
	hdr = w.Stats(t0).P99
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	rank := int(math.Ceil(0.99*float64(len(sorted)))) - 1
	exact = float64(sorted[rank]) / float64(time.Millisecond)
	return hdr, exact, math.Abs(hdr-exact) / exact
}

// TestP99AccuracyAgainstSort pins the goal of the percentiles: HDR p99
// within 1 % of the exact p99 over a million samples.
func TestP99AccuracyAgainstSort(t *testing.T) {
	hdr, exact, e := p99Error(lognormalLatencies(1_000_000))
	if e > 0.01 {
		t.Fatalf("HDR p99 %.3fms vs exact %.3fms: error %.3f%%, want ≤ 1%%", hdr, exact, 100*e)
	}
}

// BenchmarkP99Accuracy reports the HDR p99's error against an exact sort
// over 1e6 samples (metric p99-err-%).
func BenchmarkP99Accuracy(b *testing.B) {
	samples := lognormalLatencies(1_000_000)
	var e, hdr, exact float64
	for b.Loop() {
		hdr, exact, e = p99Error(samples)
	}
	b.ReportMetric(100*e, "p99-err-%")
	b.ReportMetric(hdr, "hdr-p99-ms")
	b.ReportMetric(exact, "exact-p99-ms")
}

// BenchmarkRecord is the cost of recording one sample in a Window.
func BenchmarkRecord(b *testing.B) {
	w := NewWindow(10 * time.Second)
	t0 := time.Now()
	samples := lognormalLatencies(4096)
	i := 0
	for b.Loop() {
		w.Observe(t0.Add(time.Duration(i)*time.Millisecond), samples[i%len(samples)], 0)
		i++
	}
}

// BenchmarkStats is the cost of one report: merging a full 10 s window.
func BenchmarkStats(b *testing.B) {
	w := NewWindow(10 * time.Second)
	t0 := time.Now()
	for i, d := range lognormalLatencies(10_000) {
		w.Observe(t0.Add(time.Duration(i)*time.Millisecond), d, 0)
	}
	now := t0.Add(10 * time.Second)
	for b.Loop() {
		w.Stats(now)
	}
}

// BenchmarkEngine1000PerSecond runs a whole open-model probe (pacer, a
// goroutine per request, window, 1 s reports) at 1,000 requests/s against
// a no-op request for 3 s and reports the process CPU it took, as a
// percentage of one core (metric cpu-%).
func BenchmarkEngine1000PerSecond(b *testing.B) {
	for b.Loop() {
		var sent atomic.Int64
		p := &openProbe{name: "bench", target: "noop",
			cfg: Config{Rate: 1000, Timeout: time.Second, Window: 10 * time.Second, Report: time.Second},
			do:  func(context.Context) error { sent.Add(1); return nil }}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var r0, r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		start := time.Now()
		p.Run(ctx, func(Reading) {})
		wall := time.Since(start)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cancel()
		cpu := time.Duration(r1.Utime.Nano()-r0.Utime.Nano()) + time.Duration(r1.Stime.Nano()-r0.Stime.Nano())
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
		b.ReportMetric(float64(sent.Load())/wall.Seconds(), "samples/s")
	}
}
