package probes

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gameday-dev/gameday/targets"
)

// DefaultMaxSeries bounds the rows one PromQL query shows when the
// inventory does not say.
const DefaultMaxSeries = 10

// promQuery is the prometheus.query probe: one PromQL instant query
// evaluated every interval. A query that returns one series (or a
// scalar) is one row; one that returns several shows a row per series,
// its labels as the target, under a summary row for the query as a whole
// whose verdict is the worst of them. Errors from Prometheus (bad PromQL,
// timeouts, authentication) are the probe's error status with
// Prometheus's own message.
type promQuery struct {
	svc       targets.Prometheus
	q         targets.PromQuery
	target    string
	cfg       Config
	maxSeries int

	api v1.API
	// rows are the series shown as rows of their own, by target, in the
	// order they first appeared; a series the query stops returning keeps
	// its row, in error, until it returns. Only the polling goroutine
	// touches it.
	rows  map[string]bool
	order []string
}

func newPromQuery(svc targets.Prometheus, q targets.PromQuery, cfg Config) *promQuery {
	p := &promQuery{svc: svc, q: q, target: svc.Name + " " + q.Name, cfg: cfg, maxSeries: q.MaxSeries, rows: map[string]bool{}}
	if p.maxSeries <= 0 {
		p.maxSeries = DefaultMaxSeries
	}
	return p
}

// Name, Target and Run implement Probe.
func (p *promQuery) Name() string   { return "prometheus.query" }
func (p *promQuery) Target() string { return p.target }

// Run measures until ctx is done; see Probe.
func (p *promQuery) Run(ctx context.Context, emit func(Reading)) {
	pollRows(ctx, p.Name(), p.target, p.cfg, p.measure, emit, nil)
}

// measure evaluates the query once, at the time the poll started: that
// instant, not the time the answer came back, is what the readings are
// stamped with, so that a reading says which samples it could have seen.
func (p *promQuery) measure(ctx context.Context) []Reading {
	at := time.Now()
	if p.api == nil {
		c, err := p.svc.APIClient(p.cfg.Timeout)
		if err != nil {
			return p.failed(at, oneLine(err))
		}
		p.api = v1.NewAPI(c)
	}
	val, warnings, err := p.api.Query(ctx, p.q.Query, at, v1.WithTimeout(p.cfg.Timeout))
	if err != nil {
		return p.failed(at, targets.PromError(err, p.cfg.Timeout))
	}
	var note string
	if len(warnings) > 0 {
		note = "; prometheus warns: " + strings.Join(warnings, "; ")
	}
	switch v := val.(type) {
	case *model.Scalar:
		return []Reading{p.single(at, float64(v.Value), "scalar"+note)}
	case model.Vector:
		return p.vector(at, v, note)
	case model.Matrix:
		return p.failed(at, "the query returns a range vector; wrap it in a function such as rate() or max_over_time()")
	case *model.String:
		return p.failed(at, "the query returns a string, not a number")
	}
	return p.failed(at, fmt.Sprintf("the query returns %T, not a number", val))
}

// single is a one-value Reading of the query as a whole.
func (p *promQuery) single(at time.Time, v float64, detail string) Reading {
	if bad := badNumber(v); bad != "" {
		return Reading{Time: at, Status: StatusError, Detail: "the query returns " + bad + " (" + detail + ")"}
	}
	return Reading{Time: at, Value: v, Detail: detail}
}

// vector turns an instant vector into Readings: one row when it holds one
// series and no series had rows before, else a summary plus a row per
// series (at most maxSeries rows).
func (p *promQuery) vector(at time.Time, vec model.Vector, note string) []Reading {
	if len(vec) == 0 {
		out := []Reading{{Time: at, Status: StatusError, Detail: "the query returns no series (if none means zero, add `or vector(0)`)" + note}}
		return append(out, p.gone(at, nil)...)
	}
	sort.Slice(vec, func(i, j int) bool { return vec[i].Metric.String() < vec[j].Metric.String() })
	if len(vec) == 1 && len(p.rows) == 0 {
		s := vec[0]
		if s.Histogram != nil {
			return p.failed(at, "the query returns a native histogram; use histogram_quantile() or another function that gives a number")
		}
		return []Reading{p.single(at, float64(s.Value), labelsOf(s.Metric)+note)}
	}
	var out []Reading
	seen := map[string]bool{}
	breaching, cut := 0, 0
	var worst *Reading
	for _, s := range vec {
		r := Reading{Time: at, Target: p.target + " " + labelsOf(s.Metric), Value: float64(s.Value)}
		seen[r.Target] = true
		switch bad := badNumber(r.Value); {
		case s.Histogram != nil:
			r.Status, r.Detail = StatusError, "a native histogram, not a number"
		case bad != "":
			r.Status, r.Detail = StatusError, "the series is "+bad
		}
		if r.Status != StatusError && !p.holds(r) {
			breaching++
			if worst == nil {
				worst = &r
			}
		}
		if !p.rows[r.Target] {
			if len(p.rows) >= p.maxSeries {
				cut++
				continue
			}
			p.rows[r.Target] = true
			p.order = append(p.order, r.Target)
		}
		out = append(out, r)
	}
	summary := Reading{Time: at, Detail: fmt.Sprintf("%d series", len(vec))}
	switch {
	case worst != nil:
		summary.Value = worst.Value
		summary.Detail += fmt.Sprintf(", %d breaching (first: %s)", breaching, strings.TrimPrefix(worst.Target, p.target+" "))
	default:
		summary.Value = p.headline(vec)
	}
	if cut > 0 {
		summary.Detail += fmt.Sprintf("; %d not shown (max_series %d)", cut, p.maxSeries)
	}
	if math.IsNaN(summary.Value) || math.IsInf(summary.Value, 0) {
		summary.Status, summary.Detail = StatusError, summary.Detail+"; no series has a number"
	}
	summary.Detail += note
	return append(append([]Reading{summary}, out...), p.gone(at, seen)...)
}

// gone returns an error Reading for every row whose series the query no
// longer returns: the probe cannot measure it, which is not a recovery
// (a series also vanishes when its target dies).
func (p *promQuery) gone(at time.Time, seen map[string]bool) []Reading {
	var out []Reading
	for _, t := range p.order {
		if !seen[t] {
			out = append(out, Reading{Time: at, Target: t, Status: StatusError, Detail: "the query no longer returns this series"})
		}
	}
	return out
}

// failed is an error Reading for the query and every row it has.
func (p *promQuery) failed(at time.Time, why string) []Reading {
	out := []Reading{{Time: at, Status: StatusError, Detail: why}}
	for _, t := range p.order {
		out = append(out, Reading{Time: at, Target: t, Status: StatusError, Detail: "query failed: " + why})
	}
	return out
}

// holds reports whether r meets every threshold it can be judged on.
func (p *promQuery) holds(r Reading) bool {
	for _, t := range p.cfg.Thresholds {
		if ok, _, has := t.Check(r); has && !ok {
			return false
		}
	}
	return true
}

// headline is the summary's value when every series holds: the one
// nearest to breaking the first threshold (the largest under an upper
// bound, the smallest over a lower one), else the first series' value.
func (p *promQuery) headline(vec model.Vector) float64 {
	var vals []float64
	for _, s := range vec {
		if v := float64(s.Value); badNumber(v) == "" && s.Histogram == nil {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return math.NaN()
	}
	if len(p.cfg.Thresholds) > 0 {
		switch p.cfg.Thresholds[0].Op {
		case "<", "<=":
			return slices.Max(vals)
		case ">", ">=":
			return slices.Min(vals)
		}
	}
	return vals[0]
}

// badNumber names a value no threshold can judge and no JSON can carry.
func badNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return ""
}

// labelsOf renders a series' labels as its row's target: `{code="500",
// job="api"}`, with the metric name in front when the query kept it.
func labelsOf(m model.Metric) string {
	if len(m) == 0 {
		return "{}"
	}
	return m.String()
}
