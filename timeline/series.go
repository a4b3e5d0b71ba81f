package timeline

import (
	"slices"
	"time"
)

// seriesStep is the bucket width that fits [start, end] in at most max
// points: whole seconds, at least one.
func seriesStep(start, end time.Time, max int) time.Duration {
	if max < 2 {
		max = 2
	}
	span := end.Sub(start) // saturates: no overflow below
	step := (span / time.Duration(max-1)).Truncate(time.Second)
	for step < time.Second || span/step+1 > time.Duration(max) {
		step += time.Second // at most a couple of rounds after truncating
	}
	return step
}

// p99Series buckets the p99 of every probe that reports one into equal steps
// from start, keeping the worst value of each step so that spikes survive
// downsampling. Steps without a window are left out.
func p99Series(obs *observations, start, end time.Time, max int) []Series {
	step := seriesStep(start, end, max)
	buckets := map[string]map[int]float64{}
	for _, ob := range obs.list {
		r := ob.r
		if ob.kind != ProbeWindow || r.P99 <= 0 || r.Status == "error" {
			continue
		}
		b := buckets[ob.name]
		if b == nil {
			b = map[int]float64{}
			buckets[ob.name] = b
		}
		i := int(ob.t.Sub(start) / step)
		if v, seen := b[i]; !seen || r.P99 > v {
			b[i] = r.P99
		}
	}
	names := make([]string, 0, len(buckets))
	for n := range buckets {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]Series, 0, len(names))
	for _, n := range names {
		idx := make([]int, 0, len(buckets[n]))
		for i := range buckets[n] {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		s := Series{Probe: n, Step: secondsOf(step), Points: make([]Point, 0, len(idx))}
		for _, i := range idx {
			s.Points = append(s.Points, Point{At: secondsOf(time.Duration(i) * step), Value: buckets[n][i], step: i})
		}
		out = append(out, s)
	}
	return out
}
