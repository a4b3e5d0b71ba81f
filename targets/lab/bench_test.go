package lab_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets/lab"
)

// BenchmarkLabStart starts the full lab to "all green" and stops it. It
// reports the median time to green ("green-ms") beside the mean of
// start+stop (ns/op).
func BenchmarkLabStart(b *testing.B) {
	var greens []float64
	for b.Loop() {
		dir := b.TempDir()
		began := time.Now()
		l, err := lab.Start(context.Background(), lab.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		greens = append(greens, float64(time.Since(began).Milliseconds()))
		if err := l.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(greens)
	b.ReportMetric(greens[len(greens)/2], "green-ms-median")
	b.ReportMetric(greens[len(greens)-1], "green-ms-max")
}
