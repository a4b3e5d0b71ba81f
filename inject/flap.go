package inject

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Flap is a network fault's schedule: in place for Cut, gone for Heal,
// again and again until the TTL runs out or someone reverts it.
//
// The toggling runs where the fault's TTL guard runs — a detached shell on
// an SSH host, the lab process for a lab node — not in gameday: the guard
// is what outlives gameday, so a gameday that dies mid-flap leaves a flap
// whose guard still stops toggling and heals at the TTL, exactly as a
// plain fault is reverted then. The guard verifies every toggle (the
// kind's verify steps after a cut, its verify-gone steps after a heal) and
// logs only verified toggles, which gameday reads and records.
type Flap struct {
	Cut  time.Duration `json:"cut"`
	Heal time.Duration `json:"heal"`
}

// String renders the schedule as the param takes it ("3s/2s").
func (f Flap) String() string { return f.Cut.String() + "/" + f.Heal.String() }

// minFlapPhase bounds a phase from below: each toggle runs the kind's
// commands and verifies them, which takes a good part of a second on a
// loaded host.
const minFlapPhase = time.Second

// flapParam is the flap param of the network kinds.
var flapParam = ParamInfo{Name: "flap", Help: "CUT/HEAL such as 3s/2s: in place for CUT, healed for HEAL, repeated until the TTL or a revert (the host's guard toggles and verifies each)"}

// parseFlap reads "CUT/HEAL".
func parseFlap(s string) (*Flap, error) {
	cut, heal, ok := strings.Cut(s, "/")
	if !ok {
		return nil, fmt.Errorf("%q is not CUT/HEAL (use 3s/2s: 3 s cut, 2 s healed)", s)
	}
	f := &Flap{}
	for _, ph := range []struct {
		name string
		text string
		d    *time.Duration
	}{{"cut", cut, &f.Cut}, {"heal", heal, &f.Heal}} {
		d, err := time.ParseDuration(strings.TrimSpace(ph.text))
		if err != nil {
			return nil, fmt.Errorf("%s %q of %q is not a duration (use 3s/2s)", ph.name, ph.text, s)
		}
		if d < minFlapPhase {
			return nil, fmt.Errorf("%s %s of %q is shorter than %s: each toggle is run and verified on the host", ph.name, d, s, minFlapPhase)
		}
		if d%time.Millisecond != 0 {
			return nil, fmt.Errorf("%s %s of %q is finer than a millisecond", ph.name, d, s)
		}
		*ph.d = d
	}
	return f, nil
}

// flap parses the flap param (nil: the fault does not flap).
func (p *params) flap() *Flap {
	v, ok := p.raw(flapParam.Name)
	if !ok {
		return nil
	}
	f, err := parseFlap(v)
	if err != nil {
		p.fail(flapParam.Name, "%s", err.Error())
		return nil
	}
	return f
}

// flapping is a kind that can flap; flapping returns its schedule, nil
// when this fault does not flap.
type flapping interface{ flapping() *Flap }

// flapOf returns f's schedule, nil when it does not flap.
func flapOf(f Fault) *Flap {
	if fl, ok := f.(flapping); ok {
		return fl.flapping()
	}
	return nil
}

// checkFlapTTL refuses a schedule whose first cycle does not fit in the
// TTL: the fault would never flap.
func checkFlapTTL(f Fault, ttl time.Duration) error {
	fl := flapOf(f)
	if fl == nil || fl.Cut+fl.Heal <= ttl {
		return nil
	}
	return fmt.Errorf("%s: param flap: one cycle of %s (%s) is longer than the TTL %s: give a longer ttl or shorter phases", f.Kind(), fl, fl.Cut+fl.Heal, ttl)
}

// checkFlapHosts refuses a flap on a host whose executor's guards cannot
// toggle, before any host is asked anything.
func checkFlapHosts(f Fault, hosts []targets.Host) error {
	if flapOf(f) == nil {
		return nil
	}
	for _, h := range hosts {
		if d, err := executorFor(h); err == nil && !d.flaps {
			return fmt.Errorf("%s: param flap: host %s is reached %s, whose guard cannot flap a fault (SSH hosts and lab nodes can)", f.Kind(), h.Name, d.reach)
		}
	}
	return nil
}

// Toggle states as the guards log them.
const (
	ToggleCut    = "cut"    // the fault verified in place
	ToggleHealed = "healed" // the fault verified gone
	ToggleFailed = "failed" // a toggle did not verify: the guard healed and stopped flapping
)

// Toggle is one toggle of a flapping fault, as its guard verified it.
type Toggle struct {
	N     int       // 1 for the first cut
	State string    // ToggleCut, ToggleHealed or ToggleFailed
	At    time.Time // when the guard saw it verified (the host's clock)
	Why   string    // ToggleFailed: which step failed and why
}

// flapper is an executor whose guards can flap a fault: the guard itself
// cuts and heals on the schedule, verifies each toggle and logs it.
type flapper interface {
	// FlapSteps returns started, the step that waits for the guard's first
	// verified cut (the arm's inject step), and stop, the step that ends
	// the toggling and leaves the guard waiting out its TTL as a plain
	// guard (the revert's first step), returning once no toggle runs.
	FlapSteps(g Guard) (started, stop Step)
	// Toggles reads the toggles g's guard logged on h, in order.
	Toggles(ctx context.Context, h targets.Host, g Guard) ([]Toggle, error)
}

// flapPlan turns a fault's steps into a flap's: the guard gets the
// inject and verify steps to toggle with; the arm waits for its first
// verified cut; the revert first stops the toggling, then heals as a
// plain revert does. The guard's own reverts stay the kind's.
func flapPlan(x Executor, fl *Flap, steps Steps, g Guard) (Steps, Guard, error) {
	fx, ok := x.(flapper)
	if !ok {
		return Steps{}, Guard{}, fmt.Errorf("param flap: this host's executor cannot flap a fault")
	}
	g.Flap, g.Inject, g.Verify = fl, steps.Inject, steps.Verify
	started, stop := fx.FlapSteps(g)
	steps.Inject = []Step{started}
	steps.Verify = nil
	steps.Revert = append([]Step{stop}, steps.Revert...)
	return steps, g, nil
}

// parseToggleLog reads a shell guard's flap log: one line per toggle,
// "N STATE UNIX.NANOS [WHY]", and "stopped" once the loop ended. A last
// line without its newline is still being written and is left for later.
func parseToggleLog(text string) []Toggle {
	var out []Toggle
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			break
		}
		line := text[:i]
		text = text[i+1:]
		f := strings.SplitN(line, " ", 4)
		if len(f) < 3 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		t := Toggle{N: n, State: f[1], At: parseUnixDot(f[2])}
		if len(f) == 4 {
			t.Why = oneLine(f[3])
		}
		out = append(out, t)
	}
	return out
}

// parseUnixDot reads "SECONDS.NANOSECONDS" as date +%s.%N prints it.
func parseUnixDot(s string) time.Time {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	var ns int64
	if len(frac) == 9 {
		ns, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(n, ns).UTC()
}

// msSleep renders d as sleep's argument in seconds ("1.500").
func msSleep(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}

// flapWatch is this process's watch over one flapping fault it armed: it
// reads each host's toggles as its guard logs them and records each one,
// once, as a fault.toggle event.
type flapWatch struct {
	m      *Manager
	r      Record // as armed: the events name the armer
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seen map[string]int // toggles recorded, by host
}

// flapPoll is how often a watch reads the logs: twice a phase, within
// [250ms, 1s].
func flapPoll(fl *Flap) time.Duration {
	return min(max(min(fl.Cut, fl.Heal)/2, 250*time.Millisecond), time.Second)
}

// watchFlap starts watching r's flap on hosts until the revert (or the
// TTL and a little more: the guard then healed and stopped).
func (m *Manager) watchFlap(r *Record, fl *Flap, hosts []hostPlan) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &flapWatch{m: m, r: *r, cancel: cancel, done: make(chan struct{}), seen: map[string]int{}}
	w.r.PerHost = nil
	m.fmu.Lock()
	m.flaps[r.ID] = w
	m.fmu.Unlock()
	until := r.Deadline.Add(10 * time.Second)
	go func() {
		defer close(w.done)
		t := time.NewTicker(flapPoll(fl))
		defer t.Stop()
		for {
			for _, hp := range hosts {
				w.poll(ctx, hp.exec, hp.host, hp.guard)
			}
			if time.Now().After(until) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// unwatchFlap stops the watch of fault id and waits for it; nil when this
// process does not watch it.
func (m *Manager) unwatchFlap(id string) *flapWatch {
	m.fmu.Lock()
	w := m.flaps[id]
	delete(m.flaps, id)
	m.fmu.Unlock()
	if w != nil {
		w.cancel()
		<-w.done
	}
	return w
}

// poll reads g's toggles on h and records those not recorded yet. A nil
// watch (a fault another process armed) records nothing; a host that does
// not answer is asked again at the next poll.
func (w *flapWatch) poll(ctx context.Context, x Executor, h targets.Host, g Guard) {
	fx, ok := x.(flapper)
	if w == nil || !ok || g.Flap == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ts, err := fx.Toggles(ctx, h, g)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range ts[min(w.seen[h.Name], len(ts)):] {
		tg := &timeline.ToggleData{Host: h.Name, N: t.N, State: t.State, Verified: t.At, Why: t.Why}
		switch t.State {
		case ToggleFailed:
			w.m.eventWith(timeline.FaultToggle, &w.r, tg, "%s flap on %s: toggle %d did not verify, healed and stopped flapping: %s", w.r.Kind, h.Name, t.N, t.Why)
		default:
			w.m.eventWith(timeline.FaultToggle, &w.r, tg, "%s flap on %s: %s (toggle %d, verified)", w.r.Kind, h.Name, t.State, t.N)
		}
	}
	w.seen[h.Name] = max(w.seen[h.Name], len(ts))
}
