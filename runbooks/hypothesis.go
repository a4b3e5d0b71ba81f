package runbooks

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/timeline"
)

// hypothesis judges the runbook's steady-state conditions from every probe
// reading of the run. A reading's verdict lasts until the next reading of
// the same probe and target, so a violation has a duration; time in
// violation is excused only from the start of a step that allows it, and
// only up to the allowance. It is not safe for concurrent use (the monitor
// locks it).
type hypothesis struct {
	conds  []*condTrack
	allows []startedAllowance
	// from is when judging began (zero: not yet). Readings before it only
	// set the state that carries into the judged period: a system warming
	// up before its steady state was confirmed is not a deviation.
	from time.Time
	end  time.Time // set by finish: later readings are ignored
}

type startedAllowance struct {
	Allowance
	start time.Time
}

// condTrack follows one condition on every target of its probe.
type condTrack struct {
	cond    Condition
	targets map[string]*targetTrack
}

// targetTrack follows one condition on one probe target.
type targetTrack struct {
	target    string
	readings  int
	last      time.Time
	violating bool // verdict of the last reading, which lasts until the next
	outside   time.Duration
	excused   time.Duration
	// worst is the worst measured value and its text ("p99 812ms").
	worst      float64
	worstText  string
	unmeasured int
	// master tracking for "master: stable".
	master            string
	changes           []string // "a → b"
	unexcusedChanges  int
	excusedChangesUse int
}

func newHypothesis(conds []Condition) *hypothesis {
	h := &hypothesis{}
	for _, c := range conds {
		h.conds = append(h.conds, &condTrack{cond: c, targets: map[string]*targetTrack{}})
	}
	return h
}

// judgeFrom starts judging at t (only the first call counts).
func (h *hypothesis) judgeFrom(t time.Time) {
	if h.from.IsZero() {
		h.from = t
	}
}

func (h *hypothesis) judging(t time.Time) bool {
	return !h.from.IsZero() && !t.Before(h.from)
}

// allow starts the allowances of a step at t.
func (h *hypothesis) allow(list []Allowance, t time.Time) {
	for _, a := range list {
		h.allows = append(h.allows, startedAllowance{Allowance: a, start: t})
	}
}

// matching returns the allowances for probe/target started by t, the
// earliest start among them, their time budget and their change budget.
func (h *hypothesis) matching(probe, target string, t time.Time) (first time.Time, budget time.Duration, changes int, any bool) {
	for _, a := range h.allows {
		if a.Probe != probe || (a.Target != "" && a.Target != target) || a.start.After(t) {
			continue
		}
		if !any || a.start.Before(first) {
			first = a.start
		}
		any = true
		budget += a.For
		changes += a.Changes
	}
	return first, budget, changes, any
}

// observe folds one reading into every condition on its probe.
func (h *hypothesis) observe(r probes.Reading) {
	if !h.end.IsZero() && r.Time.After(h.end) {
		return
	}
	for _, c := range h.conds {
		if c.cond.Probe != r.Probe || (c.cond.Target != "" && c.cond.Target != r.Target) {
			continue
		}
		t := c.targets[r.Target]
		if t == nil {
			t = &targetTrack{target: r.Target}
			c.targets[r.Target] = t
		}
		h.close(c, t, r.Time)
		t.readings++
		t.last = r.Time
		if c.cond.Expr.Kind == ExprStable {
			h.observeMaster(c, t, r)
			continue
		}
		holds, measured, has := c.cond.Expr.check(r)
		t.violating = !holds
		if !h.judging(r.Time) {
			continue
		}
		if !has {
			t.unmeasured++
			continue
		}
		if v, ok := measuredValue(measured); ok && (t.worstText == "" || c.cond.Expr.worse(v, t.worst)) {
			t.worst, t.worstText = v, measured
		}
	}
}

// observeMaster counts master changes; a reading that cannot see the
// master at all counts as time in violation.
func (h *hypothesis) observeMaster(c *condTrack, t *targetTrack, r probes.Reading) {
	t.violating = r.Status == probes.StatusError || r.Master == ""
	if t.violating {
		if h.judging(r.Time) {
			t.unmeasured++
		}
		return
	}
	if t.master != "" && r.Master != t.master && h.judging(r.Time) {
		t.changes = append(t.changes, t.master+" → "+r.Master)
		_, _, allowed, _ := h.matching(c.cond.Probe, t.target, r.Time)
		if t.excusedChangesUse < allowed {
			t.excusedChangesUse++
		} else {
			t.unexcusedChanges++
		}
	}
	t.master = r.Master
}

// close charges the time since t's last reading, up to now, to its
// violation totals.
func (h *hypothesis) close(c *condTrack, t *targetTrack, now time.Time) {
	if t.readings == 0 || !t.violating || h.from.IsZero() || !now.After(t.last) || !now.After(h.from) {
		return
	}
	from, to := t.last, now
	if from.Before(h.from) {
		from = h.from
	}
	first, _, _, any := h.matching(c.cond.Probe, t.target, to)
	if !any || !first.Before(to) {
		t.outside += to.Sub(from)
		return
	}
	if first.After(from) {
		t.outside += first.Sub(from)
		from = first
	}
	t.excused += to.Sub(from)
}

// finish closes every open violation at end and ignores later readings.
func (h *hypothesis) finish(end time.Time) {
	for _, c := range h.conds {
		for _, t := range c.targets {
			h.close(c, t, end)
			if end.After(t.last) {
				t.last = end
			}
		}
	}
	h.end = end
}

// results returns one result per condition, in runbook order, and the
// first reason the hypothesis deviated ("" when it held).
func (h *hypothesis) results() ([]timeline.ConditionResult, string) {
	var out []timeline.ConditionResult
	reason := ""
	for _, c := range h.conds {
		res := timeline.ConditionResult{Condition: c.cond.String(), Held: true}
		names := make([]string, 0, len(c.targets))
		for name := range c.targets {
			names = append(names, name)
		}
		sort.Strings(names)
		var worst *targetTrack
		var why []string
		for _, name := range names {
			t := c.targets[name]
			if w := h.deviation(c, t); w != "" {
				res.Held = false
				why = append(why, w)
			}
			if worst == nil || (t.worstText != "" && (worst.worstText == "" || c.cond.Expr.worse(t.worst, worst.worst))) ||
				len(t.changes) > len(worst.changes) {
				worst = t
			}
		}
		switch {
		case h.from.IsZero():
			res.Held = false
			res.Worst = "not judged"
			why = append(why, "the run ended before its steady state was confirmed")
		case len(c.targets) == 0:
			res.Held = false
			res.Worst = "no readings"
			why = append(why, "the probe never reported during the run")
		default:
			res.Worst = worstText(c, worst, len(names) > 1)
		}
		if !res.Held && reason == "" {
			reason = c.cond.String() + ": " + strings.Join(why, "; ")
		}
		out = append(out, res)
	}
	return out, reason
}

// deviation says how t broke the condition, or "" if it held.
func (h *hypothesis) deviation(c *condTrack, t *targetTrack) string {
	_, budget, _, _ := h.matching(c.cond.Probe, t.target, h.end)
	var parts []string
	if t.outside > 0 {
		parts = append(parts, fmt.Sprintf("violated for %s outside any allowance", round(t.outside)))
	}
	if t.excused > budget {
		parts = append(parts, fmt.Sprintf("violated for %s, more than the %s allowed", round(t.excused), budget))
	}
	if t.unexcusedChanges > 0 {
		parts = append(parts, fmt.Sprintf("master changed %d time(s), %d more than allowed", len(t.changes), t.unexcusedChanges))
	}
	if len(parts) == 0 {
		return ""
	}
	msg := strings.Join(parts, ", ")
	if len(c.targets) > 1 {
		msg = t.target + " " + msg
	}
	return msg
}

func worstText(c *condTrack, t *targetTrack, named bool) string {
	var s string
	switch {
	case c.cond.Expr.Kind == ExprStable && len(t.changes) == 0:
		s = "no master change"
	case c.cond.Expr.Kind == ExprStable:
		s = fmt.Sprintf("%d master change(s): %s", len(t.changes), strings.Join(t.changes, ", "))
	case t.worstText != "":
		s = t.worstText
	default:
		s = "not measured"
	}
	if t.unmeasured > 0 {
		s += fmt.Sprintf(" (%d window(s) not measurable)", t.unmeasured)
	}
	if named {
		s += " on " + t.target
	}
	return s
}

// round keeps durations in messages readable (1.2s, not 1.234567891s).
func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
