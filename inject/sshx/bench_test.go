package sshx_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
)

// BenchmarkRunAll20 runs a no-op script on 20 namespace hosts at once over
// pooled connections: the transport's share of any fan-out.
func BenchmarkRunAll20(b *testing.B) {
	bed := nshost.New(b, 20, nshost.Options{})
	inv := bed.Inventory()
	pool := sshx.New(inv, isolated(b))
	defer pool.Close()
	ctx := context.Background()
	for _, o := range pool.RunAll(ctx, inv.Hosts, "true") {
		if o.Err != nil {
			b.Fatalf("warm-up: %v", o.Err)
		}
	}
	var hosts []float64
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for name, o := range pool.RunAll(ctx, inv.Hosts, "true") {
			if o.Err != nil || o.Exit != 0 {
				b.Fatalf("%s: %+v", name, o)
			}
			hosts = append(hosts, float64(o.Took)/float64(time.Millisecond))
		}
		wall += time.Since(start)
	}
	b.StopTimer()
	slices.Sort(hosts)
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms")
	b.ReportMetric(hosts[len(hosts)/2], "host-median-ms")
	if d := pool.Dials(); d != 20 {
		b.Fatalf("%d connections for 20 hosts: pooling is broken", d)
	}
}
