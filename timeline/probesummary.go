package timeline

import (
	"slices"
	"time"
)

// ProbeSummary is one probe's windows summarised, which is what the report
// shows instead of every window (the JSON export still has them all).
type ProbeSummary struct {
	Probe   string `json:"probe"`             // "redis.latency cache"
	Service string `json:"service,omitempty"` // "redis/cache"
	Unit    string `json:"unit,omitempty"`
	Windows int    `json:"windows"`
	// BreachWindows and ErrorWindows count windows in breach and windows
	// that could not measure.
	BreachWindows int `json:"breach_windows"`
	ErrorWindows  int `json:"error_windows"`
	// Step is the width of each bucket of Buckets.
	Step    Seconds  `json:"step_s"`
	Buckets []Bucket `json:"buckets"`
	// Chart is the probe's headline value over time in at most the
	// report's chart points: for each step, its lowest and its highest
	// value in the order they came, so that a short spike survives.
	Chart     []ChartPoint `json:"chart"`
	ChartStep Seconds      `json:"chart_step_s"`
}

// Bucket summarises the windows of one probe that closed in [From,
// From+Step): their headline values (error windows left out) and how many
// were in breach or could not measure.
type Bucket struct {
	From     Seconds `json:"from_s"`
	Windows  int     `json:"windows"`
	Min      float64 `json:"min"`
	Median   float64 `json:"median"`
	Max      float64 `json:"max"`
	Breach   int     `json:"breach"`
	Errors   int     `json:"errors"`
	WorstP99 float64 `json:"worst_p99,omitempty"`
}

// ChartPoint is one point of a probe's chart.
type ChartPoint struct {
	At    Seconds `json:"at_s"`
	Value float64 `json:"value"`
}

// DefaultChartPoints is how many points a chart has at most by default:
// what stays legible in a rendered Mermaid chart.
const DefaultChartPoints = 120

// MaxBuckets bounds the rows of a probe's summary table.
const MaxBuckets = 60

// bucketSteps are the widths a summary table's rows may have: the first
// that fits the session in MaxBuckets rows is used.
var bucketSteps = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
	4 * time.Hour, 8 * time.Hour, 24 * time.Hour}

func bucketStep(span time.Duration) time.Duration {
	for _, s := range bucketSteps {
		if span/s < MaxBuckets {
			return s
		}
	}
	return span/MaxBuckets + time.Second
}

// ProbeSummaries summarises every probe's windows so far, in the order the
// probes first reported, with charts of at most maxPoints points.
func (a *Analyzer) ProbeSummaries(maxPoints int) []ProbeSummary {
	out := make([]ProbeSummary, 0, len(a.order))
	span := a.last.Sub(a.start)
	step := bucketStep(span)
	for _, name := range a.order {
		p := a.probes[name]
		if p.points.len() == 0 {
			continue
		}
		s := ProbeSummary{Probe: name, Service: p.service, Unit: p.unit, Windows: p.points.len(),
			Step: secondsOf(step), Buckets: []Bucket{}}
		for _, st := range p.points.status {
			switch st {
			case pointBreach:
				s.BreachWindows++
			case pointError:
				s.ErrorWindows++
			}
		}
		s.Buckets = a.buckets(p, step)
		s.Chart, s.ChartStep = a.chart(p, span, maxPoints)
		out = append(out, s)
	}
	return out
}

// buckets groups p's windows by step from the session's start.
func (a *Analyzer) buckets(p *probeTrack, step time.Duration) []Bucket {
	var (
		out    []Bucket
		values []float64
		cur    = -1
	)
	flush := func() {
		if cur < 0 {
			return
		}
		b := &out[len(out)-1]
		if len(values) > 0 {
			slices.Sort(values)
			b.Min, b.Max, b.Median = values[0], values[len(values)-1], median(values)
		}
		values = values[:0]
	}
	pts := &p.points
	for i := range pts.at {
		k := int(max(0, pts.time(i).Sub(a.start)) / step)
		if k != cur {
			flush()
			cur = k
			out = append(out, Bucket{From: secondsOf(time.Duration(k) * step)})
		}
		b := &out[len(out)-1]
		b.Windows++
		switch pts.status[i] {
		case pointError:
			b.Errors++
			continue
		case pointBreach:
			b.Breach++
		}
		values = append(values, pts.value[i])
		b.WorstP99 = max(b.WorstP99, pts.p99[i])
	}
	flush()
	return out
}

// median of sorted values.
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// chart downsamples p's headline values (error windows left out) to at
// most maxPoints: all of them when they fit, else the lowest and the
// highest of each of maxPoints/2 equal steps, in the order they came, a
// step without a window repeating the previous value.
func (a *Analyzer) chart(p *probeTrack, span time.Duration, maxPoints int) ([]ChartPoint, Seconds) {
	maxPoints = max(maxPoints, 4)
	pts := &p.points
	var out []ChartPoint
	measured := 0
	for _, st := range pts.status {
		if st != pointError {
			measured++
		}
	}
	if measured <= maxPoints {
		for i := range pts.at {
			if pts.status[i] != pointError {
				out = append(out, ChartPoint{At: a.offsetOf(pts.time(i)), Value: pts.value[i]})
			}
		}
		return out, 0
	}
	n := maxPoints / 2
	step := max(span/time.Duration(n), time.Millisecond)
	type extreme struct {
		lo, hi     float64
		loAt, hiAt time.Time
		set        bool
	}
	steps := make([]extreme, n)
	for i := range pts.at {
		if pts.status[i] == pointError {
			continue
		}
		t := pts.time(i)
		k := min(n-1, int(max(0, t.Sub(a.start))/step))
		e, v := &steps[k], pts.value[i]
		if !e.set || v < e.lo {
			e.lo, e.loAt = v, t
		}
		if !e.set || v > e.hi {
			e.hi, e.hiAt = v, t
		}
		e.set = true
	}
	var last ChartPoint
	for k, e := range steps {
		at := secondsOf(time.Duration(k) * step)
		if !e.set {
			if len(out) > 0 {
				out = append(out, ChartPoint{At: at, Value: last.Value}, ChartPoint{At: at, Value: last.Value})
			}
			continue
		}
		first, second := ChartPoint{At: at, Value: e.lo}, ChartPoint{At: at, Value: e.hi}
		if e.hiAt.Before(e.loAt) {
			first, second = second, first
		}
		out = append(out, first, second)
		last = second
	}
	return out, secondsOf(step)
}
