package runbooks

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/timeline"
)

// ProbeKey names one probe on one target, as readings do.
type ProbeKey struct {
	Probe  string
	Target string
}

func (k ProbeKey) String() string { return k.Probe + " " + k.Target }

// ProbeKeys lists the probes a probes.Set runs (Set.Probes), for
// Runner.Expected and Runbook.Check.
func ProbeKeys(infos []probes.Info) []ProbeKey {
	out := make([]ProbeKey, len(infos))
	for i, p := range infos {
		out[i] = ProbeKey{Probe: p.Probe, Target: p.Target}
	}
	return out
}

// monitor is the Runner's view of the probes: the latest reading of each,
// whether they are all ok and since when, the hypothesis and the abort
// conditions. It is fed by one goroutine reading the Recorder and read by
// the step that is running; a change is signalled by closing the channel
// wait returns.
type monitor struct {
	mu          sync.Mutex
	latest      map[ProbeKey]probes.Reading
	expected    []ProbeKey
	steadySince time.Time
	changed     chan struct{}
	hyp         *hypothesis
	aborts      []*abortTrack
	onAbort     func(reason string)
	aborted     bool
}

// abortTrack follows one abort condition on every target of its probe:
// since when its condition has been true.
type abortTrack struct {
	cond  AbortCondition
	since map[string]time.Time
}

func newMonitor(rb *Runbook, expected []ProbeKey, onAbort func(string)) *monitor {
	m := &monitor{
		latest:   map[ProbeKey]probes.Reading{},
		expected: expected,
		changed:  make(chan struct{}),
		hyp:      newHypothesis(rb.Hypothesis),
		onAbort:  onAbort,
	}
	for _, a := range rb.Abort {
		m.aborts = append(m.aborts, &abortTrack{cond: a, since: map[string]time.Time{}})
	}
	return m
}

// consume reads probe windows from sub until it is closed or stop is.
func (m *monitor) consume(sub *timeline.Subscription, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			if e.Kind != timeline.ProbeWindow {
				continue
			}
			rp := e.Reading()
			if rp == nil || rp.Probe == "" {
				continue
			}
			r := *rp
			if r.Time.IsZero() {
				r.Time = e.Time
			}
			m.observe(r)
		}
	}
}

// observe takes one reading.
func (m *monitor) observe(r probes.Reading) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.latest[ProbeKey{r.Probe, r.Target}] = r
	if m.allOK() {
		if m.steadySince.IsZero() {
			m.steadySince = r.Time
		}
	} else {
		m.steadySince = time.Time{}
	}
	m.hyp.observe(r)
	if reason := m.checkAborts(r); reason != "" && !m.aborted {
		m.aborted = true
		if m.onAbort != nil {
			m.onAbort(reason)
		}
	}
	close(m.changed)
	m.changed = make(chan struct{})
}

// allOK reports whether every known (and every expected) probe's latest
// reading is ok. Called with mu held.
func (m *monitor) allOK() bool {
	for _, k := range m.expected {
		if _, ok := m.latest[k]; !ok {
			return false
		}
	}
	if len(m.latest) == 0 {
		return false
	}
	for _, r := range m.latest {
		if r.Status != probes.StatusOK {
			return false
		}
	}
	return true
}

// checkAborts returns why the run must abort after r, or "". Called with
// mu held.
func (m *monitor) checkAborts(r probes.Reading) string {
	for _, a := range m.aborts {
		c := a.cond
		if c.Probe != r.Probe || (c.Target != "" && c.Target != r.Target) {
			continue
		}
		if !abortMet(c.Expr, r) {
			delete(a.since, r.Target)
			continue
		}
		since, ok := a.since[r.Target]
		if !ok {
			since = r.Time
			a.since[r.Target] = since
		}
		if r.Time.Sub(since) >= c.For {
			return fmt.Sprintf("abort condition %q met on %s (%s)", c.String(), r.Target, orText(r.Detail, string(r.Status)))
		}
	}
	return ""
}

// abortMet reports whether r meets an abort condition: a threshold that
// holds, or the named status.
func abortMet(e Expr, r probes.Reading) bool {
	if e.Kind == ExprStatus {
		return r.Status == e.Status
	}
	holds, _, has := e.check(r)
	return has && holds
}

// wait returns a channel closed at the next reading.
func (m *monitor) wait() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// steady returns since when every probe has been ok (zero if not now).
func (m *monitor) steady() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.steadySince
}

// notOK describes the probes that are not ok, for a timed-out wait.
func (m *monitor) notOK() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, k := range m.expected {
		if _, ok := m.latest[k]; !ok {
			out = append(out, k.String()+" has not reported")
		}
	}
	for k, r := range m.latest {
		if r.Status != probes.StatusOK {
			out = append(out, fmt.Sprintf("%s is %s (%s)", k, r.Status, orText(r.Detail, r.Threshold)))
		}
	}
	if len(m.latest) == 0 && len(m.expected) == 0 {
		out = append(out, "no probe has reported")
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// readings returns the latest reading of every target of probe (of one
// target when target is set) taken at or after since.
func (m *monitor) readings(probe, target string, since time.Time) (fresh []probes.Reading, known int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, r := range m.latest {
		if k.Probe != probe || (target != "" && k.Target != target) {
			continue
		}
		known++
		if !r.Time.Before(since) {
			fresh = append(fresh, r)
		}
	}
	return fresh, known
}

// masters returns the latest agreed master address per sentinel.master
// target ("" while the Sentinels agree on none).
func (m *monitor) masters() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, r := range m.latest {
		if k.Probe == masterProbe {
			out[k.Target] = r.Master
		}
	}
	return out
}

// judgeFrom starts judging the hypothesis at t.
func (m *monitor) judgeFrom(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hyp.judgeFrom(t)
}

// allow starts a step's allowances at t.
func (m *monitor) allow(list []Allowance, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hyp.allow(list, t)
}

// verdict closes the hypothesis at end and returns its results.
func (m *monitor) verdict(end time.Time) ([]timeline.ConditionResult, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hyp.finish(end)
	return m.hyp.results()
}

// masterProbe is the probe whose readings carry the agreed master.
const masterProbe = "sentinel.master"

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
