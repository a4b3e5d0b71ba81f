package probes

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// How gameday baseline chooses thresholds (docs/inventory.md, "Baselines"):
//
//   - an upper bound on a latency or on a probe's value: the larger of
//     twice the median window and the worst window plus a quarter (and,
//     for p99, the slowest single request plus a quarter: a hiccup seen
//     once can fall twice in a later window and be its p99; it cannot be
//     a p50 or a p90), rounded up to two significant digits — room for a
//     busy minute the baseline did not see, without hiding a fault that
//     doubles the latency;
//   - an upper bound on lag: the larger of twice the peak and the peak
//     plus 100 messages;
//   - a success floor: the lowest window, less one request of the
//     smallest window, rounded down to 0.1 %, so that the one failure the
//     baseline happened not to see is not a breach;
//   - anything else (master: stable, lost == 0, agree, lower bounds on a
//     value) is kept as written: those are facts of the design, not of
//     the machine.
//
// A probe that could not measure in some window, whose master changed, or
// whose worst window is more than spikyFactor times its median is
// unstable: no number is proposed for it.
const (
	spikyFactor     = 5.0
	latencyHeadroom = 2.0
	worstMargin     = 0.25
	lagMargin       = 100
)

// Verdicts of a proposal.
const (
	VerdictHolds    = "holds"    // the current threshold already fits
	VerdictTighten  = "tighten"  // the proposal is stricter
	VerdictLoosen   = "loosen"   // the current threshold breaks without a fault
	VerdictNew      = "new"      // nothing was written for this metric
	VerdictKept     = "kept"     // no rule proposes this metric
	VerdictUnstable = "unstable" // no number proposed; see Why
)

// Proposal is what the baseline says about one threshold of one probe.
type Proposal struct {
	Probe  string `json:"probe"`
	Target string `json:"target"`
	Metric string `json:"metric"`
	// At is where the probe's thresholds are written in the inventory;
	// Index is this threshold's place among them.
	At    targets.ThresholdsAt `json:"-"`
	Index int                  `json:"-"`
	// Current is the threshold as the probe runs it ("" when the probe
	// has none on this metric); Proposed is the one the baseline
	// proposes ("" when it proposes none).
	Current  string `json:"current,omitempty"`
	Proposed string `json:"proposed,omitempty"`
	// Median, P99 and Worst summarise the windows' values of the metric,
	// in Unit; Worst is the highest for an upper bound, the lowest for a
	// lower bound.
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
	Worst  float64 `json:"worst"`
	Unit   string  `json:"unit,omitempty"`
	// Latency summarises a latency probe's requests over the baseline, in
	// milliseconds: the median window's p50 and p99, and the slowest
	// single request.
	Latency *LatencySummary `json:"latency,omitempty"`
	Windows int             `json:"windows"`
	Verdict string          `json:"verdict"`
	// Why says how the number was chosen, or why none was.
	Why string `json:"why"`
}

// Baseline runs every probe of the set for d (no fault is armed by it; the
// caller sees to the rest) and proposes thresholds that fit what they saw.
// The first window (connections opening, windows filling) is warm-up and
// not counted, so d must be at least twice the longest window. It returns
// ctx's error if ctx ends first, and nothing else.
func (s *Set) Baseline(ctx context.Context, d time.Duration) ([]Proposal, error) {
	warm := s.MaxWindow()
	if d < 2*warm {
		return nil, fmt.Errorf("%s is too short for a baseline: the probes' windows are %s, so it needs at least %s", d, warm, 2*warm)
	}
	b := NewBaseline(s, time.Now().Add(warm))
	for _, e := range s.entries {
		e.observe = b.Observe
	}
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	s.Run(rctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b.Propose(), nil
}

// LatencySummary is what a baseline saw of a latency probe's requests.
type LatencySummary struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Baseline collects the readings of probes run without faults and
// proposes thresholds that fit them. It is fed every judged Reading
// (Observe) and asked once at the end (Propose).
type Baseline struct {
	mu     sync.Mutex
	since  time.Time // readings before it are warm-up
	probes []*observed
	by     map[string]*observed
}

type observed struct {
	info     Info
	current  []Threshold
	readings []Reading
}

// NewBaseline prepares a baseline of the probes of set; readings stamped
// before warm (connections, the first partial windows) are not counted.
func NewBaseline(set *Set, warm time.Time) *Baseline {
	b := &Baseline{since: warm, by: map[string]*observed{}}
	for _, e := range set.entries {
		o := &observed{info: e.info(), current: e.cfg.Thresholds}
		b.probes = append(b.probes, o)
		b.by[e.probe.Name()+"\x00"+e.probe.Target()] = o
	}
	return b
}

// Observe records one judged Reading. Readings of rows a probe adds (the
// series of a PromQL query) count towards the probe's own.
func (b *Baseline) Observe(r Reading) {
	if r.Time.Before(b.since) || r.Status == StatusPending {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.by[r.Probe+"\x00"+r.Target]
	if o == nil {
		o = b.rowOwner(r)
		if o == nil {
			return
		}
	}
	o.readings = append(o.readings, r)
}

// rowOwner finds the probe whose target a row's target extends.
func (b *Baseline) rowOwner(r Reading) *observed {
	for _, o := range b.probes {
		if o.info.Probe == r.Probe && strings.HasPrefix(r.Target, o.info.Target+" ") {
			return o
		}
	}
	return nil
}

// Propose returns a proposal per threshold of every probe, in the order
// of Set.Probes, a success floor included for request-sending probes.
func (b *Baseline) Propose() []Proposal {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Proposal
	for _, o := range b.probes {
		out = append(out, o.propose()...)
	}
	return out
}

func (o *observed) propose() []Proposal {
	unstable := o.unstable()
	var out []Proposal
	at, _ := SettingsOf(o.info.Probe, o.info.Target)
	for i, t := range o.current {
		p := Proposal{Probe: o.info.Probe, Target: o.info.Target, Metric: t.Metric, Current: t.Raw, Unit: t.Unit, At: at, Index: i}
		vals := o.values(t)
		p.Windows = len(vals)
		if metricKind(t.Metric) == "latency" {
			p.Latency = o.latency()
		}
		if len(vals) > 0 {
			p.Median, p.P99, p.Worst = summarize(vals, upper(t.Op))
		}
		switch {
		case unstable != "":
			p.Verdict, p.Why = VerdictUnstable, unstable
		case len(vals) < 3:
			p.Verdict, p.Why = VerdictUnstable, fmt.Sprintf("only %d windows measured %s", len(vals), t.Metric)
		default:
			o.rule(&p, t, vals)
		}
		out = append(out, p)
	}
	return out
}

// unstable says why the probe cannot have numbers proposed, or "".
func (o *observed) unstable() string {
	if len(o.readings) == 0 {
		return "no reading in the baseline"
	}
	errs, unsteady := 0, 0
	var first string
	for _, r := range o.readings {
		if r.Status == StatusError {
			if errs == 0 {
				first = r.Detail
			}
			errs++
		}
		if r.Probe == "sentinel.master" && !r.Stable {
			unsteady++
		}
	}
	switch {
	case errs > 0:
		return fmt.Sprintf("could not measure in %d of %d windows (%s)", errs, len(o.readings), first)
	case unsteady > 0:
		return fmt.Sprintf("the master changed or the Sentinels disagreed in %d of %d windows", unsteady, len(o.readings))
	}
	return ""
}

// values are the windows' values of t's metric, in t's unit.
func (o *observed) values(t Threshold) []float64 {
	var vs []float64
	for _, r := range o.readings {
		if r.Status == StatusError {
			continue
		}
		if v, ok := t.measure(r); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			vs = append(vs, v)
		}
	}
	return vs
}

// latency summarises the windows in which some request succeeded.
func (o *observed) latency() *LatencySummary {
	var p50s, p99s []float64
	var peak float64
	for _, r := range o.readings {
		if r.Status == StatusError || r.Count <= r.Errors {
			continue
		}
		p50s = append(p50s, r.P50)
		p99s = append(p99s, r.P99)
		peak = max(peak, r.Max)
	}
	if len(p50s) == 0 {
		return nil
	}
	m50, _, _ := summarize(p50s, true)
	m99, _, _ := summarize(p99s, true)
	return &LatencySummary{P50: m50, P99: m99, Max: peak}
}

func upper(op string) bool { return op == "<" || op == "<=" }

// summarize returns the median, the 99th percentile towards the bad side
// and the worst of vs.
func summarize(vs []float64, upperBound bool) (median, p99, worst float64) {
	s := slices.Clone(vs)
	sort.Float64s(s)
	if !upperBound {
		slices.Reverse(s)
	}
	at := func(q float64) float64 { return s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)] }
	return at(0.5), at(0.99), s[len(s)-1]
}

// rule fills p's proposal and verdict for one threshold.
func (o *observed) rule(p *Proposal, t Threshold, vals []float64) {
	cls := metricKind(t.Metric)
	up := upper(t.Op)
	switch {
	case cls == "latency" && up || t.Metric == "value" && up:
		if p.Worst > spikyFactor*p.Median && p.Worst-p.Median > spikyFloor(t) {
			p.Verdict = VerdictUnstable
			p.Why = fmt.Sprintf("spiky: the worst window (%s) is %.0f× the median (%s)", FormatValue(p.Worst, t.Unit), p.Worst/p.Median, FormatValue(p.Median, t.Unit))
			return
		}
		bound := max(latencyHeadroom*p.Median, p.Worst+worstMargin*math.Abs(p.Worst))
		if bound <= p.Worst {
			bound = p.Worst + 1
		}
		how := fmt.Sprintf("max(2 × median %s, worst %s + 25%%", FormatValue(p.Median, t.Unit), FormatValue(p.Worst, t.Unit))
		// A hiccup the machine had once (one slow request) can fall
		// twice in one window later and make its p99: the bound covers
		// the slowest request seen.
		if t.Metric == "p99" && p.Latency != nil {
			bound = max(bound, p.Latency.Max*(1+worstMargin))
			how += ", slowest request " + FormatValue(p.Latency.Max, "ms") + " + 25%"
		}
		o.bound(p, t, roundUp(bound), how+")")
	case t.Metric == "lag" && up:
		o.bound(p, t, roundUp(max(2*p.Worst, p.Worst+lagMargin)), fmt.Sprintf("max(2 × peak %g, peak + %d)", p.Worst, lagMargin))
	case t.Metric == "success" && !up:
		one := o.oneRequest()
		if one > 10 {
			p.Verdict, p.Why = VerdictKept, "too few requests per window to bound a rate"
			return
		}
		floor := math.Floor((p.Worst-one)*10) / 10
		o.bound(p, t, max(0, floor), fmt.Sprintf("floor %s less one request (%.2f%%)", FormatValue(p.Worst, "%"), one))
	default:
		p.Verdict, p.Why = VerdictKept, "not a property of the machine: kept as written"
		if held := o.held(t); held < len(o.readings) {
			p.Why += fmt.Sprintf(" (it broke in %d of %d windows)", len(o.readings)-held, len(o.readings))
		}
	}
}

// spikyFloor is the spread below which a ratio means nothing (0.3 ms vs
// 2 ms is six times, and noise).
func spikyFloor(t Threshold) float64 {
	if t.Unit == "ms" {
		return 5
	}
	return 0
}

// oneRequest is the share, in percent, of one request in the smallest
// window that sent any.
func (o *observed) oneRequest() float64 {
	var one float64
	for _, r := range o.readings {
		if r.Count > 0 {
			one = max(one, 100/float64(r.Count))
		}
	}
	return one
}

// held counts the readings on which t held (or could not be judged).
func (o *observed) held(t Threshold) int {
	n := 0
	for _, r := range o.readings {
		if ok, _, has := t.Check(r); ok || !has {
			n++
		}
	}
	return n
}

// bound sets p.Proposed to "METRIC OP v" and the verdict against the
// current bound.
func (o *observed) bound(p *Proposal, t Threshold, v float64, why string) {
	p.Proposed = t.Metric + " " + t.Op + " " + thresholdValue(v, t.Unit)
	p.Why = why
	parsed, err := targets.ParseThreshold(p.Proposed)
	switch {
	case err != nil:
		p.Verdict, p.Why, p.Proposed = VerdictUnstable, "cannot write a bound: "+err.Error(), ""
	case parsed.Value == t.Value:
		p.Verdict = VerdictHolds
	case upper(t.Op) == (parsed.Value < t.Value):
		p.Verdict = VerdictTighten
	default:
		p.Verdict = VerdictLoosen
	}
}

// thresholdValue writes a bound as a threshold takes it: "38ms", "1.5s",
// "99.5%", "1200".
func thresholdValue(v float64, unit string) string {
	switch unit {
	case "ms":
		if v >= 1000 {
			return strconv.FormatFloat(v/1000, 'f', -1, 64) + "s"
		}
		return strconv.FormatFloat(v, 'f', -1, 64) + "ms"
	case "%":
		return strconv.FormatFloat(v, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// roundUp rounds v > 0 up to two significant digits (37.2 → 38, 0.843 →
// 0.85, 1234 → 1300).
func roundUp(v float64) float64 {
	if v <= 0 {
		return v
	}
	e := math.Pow(10, math.Floor(math.Log10(v))-1)
	r := math.Ceil(v/e-1e-9) * e
	// Undo float noise: 0.85 not 0.8500000000000001.
	s := strconv.FormatFloat(r, 'g', 2, 64)
	out, _ := strconv.ParseFloat(s, 64)
	if out < v {
		out = r
	}
	return out
}

// metricKind is targets' class of a metric: "latency" for pNN, min, mean
// and max.
func metricKind(m string) string {
	if t, err := targets.ParseThreshold(m + " < 1ms"); err == nil && t.Unit == "ms" {
		return "latency"
	}
	return ""
}

// SettingsOf says where the settings of a probe (by name and target) are
// written in the inventory: the service kind and name, and its key under
// probes: (for a PromQL query, the query's name).
func SettingsOf(probe, target string) (targets.ThresholdsAt, bool) {
	service, rest, _ := strings.Cut(target, " ")
	switch probe {
	case "sentinel.master":
		return targets.ThresholdsAt{Kind: "redis", Service: service, Probe: "master"}, true
	case "prometheus.query":
		query, _, _ := strings.Cut(rest, " ")
		return targets.ThresholdsAt{Kind: "prometheus", Service: service, Probe: query}, query != ""
	}
	kind, key, ok := strings.Cut(probe, ".")
	if !ok || !slices.Contains(targets.ProbeNames[kind], key) {
		return targets.ThresholdsAt{}, false
	}
	return targets.ThresholdsAt{Kind: kind, Service: service, Probe: key}, true
}

// Changes turns proposals into the thresholds to write: per place in the
// inventory, the probe's thresholds with each proposed bound in place of
// the current one. Probes that share one place (kafka.lag for every group
// and topic) get the loosest of their proposals; a threshold any of them
// was unstable on, or kept, stays as it is. Places whose thresholds would
// not change are left out.
func Changes(props []Proposal) []targets.ThresholdChange {
	type place struct {
		current []string
		bounds  map[int][]Proposal
		keep    map[int]bool
	}
	var order []targets.ThresholdsAt
	places := map[targets.ThresholdsAt]*place{}
	for _, p := range props {
		if p.At == (targets.ThresholdsAt{}) {
			continue
		}
		pl := places[p.At]
		if pl == nil {
			pl = &place{bounds: map[int][]Proposal{}, keep: map[int]bool{}}
			places[p.At] = pl
			order = append(order, p.At)
		}
		for len(pl.current) <= p.Index {
			pl.current = append(pl.current, "")
		}
		pl.current[p.Index] = p.Current
		if p.Proposed == "" {
			pl.keep[p.Index] = true
		} else {
			pl.bounds[p.Index] = append(pl.bounds[p.Index], p)
		}
	}
	var out []targets.ThresholdChange
	for _, at := range order {
		pl := places[at]
		next := slices.Clone(pl.current)
		for i, bs := range pl.bounds {
			if !pl.keep[i] {
				next[i] = loosest(bs)
			}
		}
		if !slices.Equal(next, pl.current) {
			out = append(out, targets.ThresholdChange{At: at, Thresholds: next})
		}
	}
	return out
}

// loosest is the proposal that admits the most: the highest upper bound,
// the lowest lower bound.
func loosest(ps []Proposal) string {
	best := ps[0].Proposed
	bt, _ := targets.ParseThreshold(best)
	for _, p := range ps[1:] {
		t, err := targets.ParseThreshold(p.Proposed)
		if err != nil {
			continue
		}
		if upper(t.Op) == (t.Value > bt.Value) {
			best, bt = p.Proposed, t
		}
	}
	return best
}
