package inject

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/timeline"
)

// Arm writes the ledger entry, checks every host (changing nothing), starts
// the TTL guard on every host, injects, verifies and returns the armed
// fault. When any host fails, what was done everywhere is reverted.
func (m *Manager) Arm(ctx context.Context, req Request) (Armed, error) {
	p, err := m.plan(ctx, req, newID(), true)
	if err != nil {
		return Armed{}, err
	}
	return m.arm(ctx, req, p)
}

// ArmPlan arms exactly what pv (from Preview) showed: under pv.ID, with
// the same commands on the same hosts. It plans again first — selectors
// resolved anew, hosts asked again — and, when anything differs, arms
// nothing and returns a *PlanChangedError holding the plan as it is now,
// to be shown and confirmed in turn. pv.Request.By and IKnow are the
// confirmer's.
func (m *Manager) ArmPlan(ctx context.Context, pv Preview) (Armed, error) {
	if pv.ID == "" || pv.Digest == "" {
		return Armed{}, errors.New("arm a plan: the plan has no fault ID or digest; take it from Preview")
	}
	used := fmt.Errorf("fault %s was armed from this plan already: preview it again for another", pv.ID)
	// One plan arms once: a second confirmation of the same dialog must
	// not arm a second fault under the same chains and guards.
	m.mu.Lock()
	busy := m.planned[pv.ID]
	m.planned[pv.ID] = true
	m.mu.Unlock()
	if busy {
		return Armed{}, used
	}
	armed := false
	defer func() {
		if !armed { // nothing armed: the plan may be confirmed again
			m.mu.Lock()
			delete(m.planned, pv.ID)
			m.mu.Unlock()
		}
	}()
	all, err := m.ledger.Load()
	if err != nil {
		return Armed{}, err
	}
	for _, r := range all {
		if r.ID == pv.ID {
			armed = true
			return Armed{}, used
		}
	}
	req := pv.Request
	if len(pv.Asked) > 0 {
		req.Hosts = pv.Asked
	}
	p, err := m.plan(ctx, req, pv.ID, true)
	if err != nil {
		return Armed{}, err
	}
	if d := p.digest(); d != pv.Digest {
		// The new plan keeps the ID: confirmed, it arms under it.
		return Armed{}, &PlanChangedError{Now: p.preview(req)}
	}
	armed = true
	return m.arm(ctx, req, p)
}

// arm arms plan p of req.
func (m *Manager) arm(ctx context.Context, req Request, p *plan) (Armed, error) {
	now := time.Now().UTC()
	r := &Record{ID: p.id, Kind: p.fault.Kind(), Params: req.Params, TTL: p.ttl, IKnow: req.IKnow, By: req.By,
		Session: m.session, State: StateArming, Created: now, Updated: now, Deadline: now.Add(p.ttl),
		PerHost: map[string]*HostEntry{}}
	for _, hp := range p.hosts {
		r.Hosts = append(r.Hosts, hp.host.Name)
		// The target is self-contained (the inventory's SSH defaults
		// filled in, paths absolute), so revert works from the ledger
		// alone; it holds paths and names, never key contents.
		e := &HostEntry{Target: sshx.Portable(m.inv, hp.host), Executor: hp.def.name, Via: hp.exec.Via(),
			Revert: hp.steps.Revert, VerifyGone: hp.steps.VerifyGone, Flap: hp.guard.Flap, Status: "planned"}
		r.PerHost[hp.host.Name] = e
	}
	if err := m.ledger.Put(r); err != nil {
		return Armed{}, err
	}
	m.event(timeline.FaultArming, r, "arming %s on %s", r.Kind, hostList(r.Hosts))
	checkpoint()

	// Detection changes nothing, so a host that cannot take the fault
	// stops the arm before any host is touched.
	errs := fanOut(ctx, m.hostBounds(p.parts(func(hp hostPlan) []Step { return hp.steps.Detect })), p.hosts, func(ctx context.Context, _ int, hp hostPlan) error {
		return runSteps(ctx, hp.exec, hp.host, hp.steps.Detect, nil)
	})
	if err := JoinErrors(errs); err != nil {
		for i, hp := range p.hosts {
			r.PerHost[hp.host.Name].Status = "not touched"
			if errs[i] != nil {
				r.PerHost[hp.host.Name].Status = "refused: " + errs[i].Error()
			}
		}
		return m.failed(r, err)
	}

	// From here on every host may change: mark them before the first
	// command so a crash leaves them listed for revert.
	for _, e := range r.PerHost {
		e.Touched, e.Status = true, "arming"
	}
	r.Deadline = time.Now().UTC().Add(p.ttl)
	if err := m.ledger.Put(r); err != nil {
		return Armed{}, err
	}
	var mu sync.Mutex
	status := func(host, s string) {
		mu.Lock()
		r.PerHost[host].Status = s
		mu.Unlock()
	}
	// injecting marks when a host's first inject step begins; the
	// earliest is the fault's Injected.
	injecting := func(at time.Time) {
		now := at.UTC()
		mu.Lock()
		if r.Injected.IsZero() || now.Before(r.Injected) {
			r.Injected = now
		}
		mu.Unlock()
	}
	armSteps := func(hp hostPlan) []Step {
		return slices.Concat([]Step{hp.guardStart}, hp.steps.Inject, hp.steps.Verify)
	}
	errs = fanOut(ctx, m.hostBounds(p.parts(armSteps)), p.hosts, func(ctx context.Context, _ int, hp hostPlan) error {
		err := m.armHost(ctx, hp, injecting)
		if err != nil {
			status(hp.host.Name, "failed: "+err.Error())
		} else {
			status(hp.host.Name, "armed")
		}
		return err
	})
	if err := JoinErrors(errs); err != nil {
		// Roll back everywhere, even when the caller's context is gone:
		// a half-armed fault must not outlive a failed arm.
		rctx := context.WithoutCancel(ctx)
		if _, rerr := m.revertHosts(rctx, r); rerr != nil {
			err = fmt.Errorf("%w; the rollback is incomplete (%v): the guards revert it by %s, or run gameday revert %s", err, rerr, r.Deadline.Local().Format(time.TimeOnly), r.ID)
		} else {
			err = fmt.Errorf("%w; rolled back on every host", err)
		}
		return m.failed(r, err)
	}
	r.State, r.ArmedAt, r.Updated = StateArmed, time.Now().UTC(), time.Now().UTC()
	if err := m.ledger.Put(r); err != nil {
		return r.armed(), err
	}
	m.event(timeline.FaultArmed, r, "%s armed on %s (TTL %s)", r.Kind, hostList(r.Hosts), r.TTL)
	if fl := flapOf(p.fault); fl != nil {
		m.watchFlap(r, fl, p.hosts)
	}
	checkpoint()
	return r.armed(), nil
}

// armHost starts the guard, injects and verifies on one host; injecting
// is called as the first inject step begins.
func (m *Manager) armHost(ctx context.Context, hp hostPlan, injecting func(at time.Time)) error {
	if b, ok := hp.exec.(batcher); ok {
		return armBatch(ctx, b, hp, injecting)
	}
	if err := hp.exec.Run(ctx, hp.host, hp.guardStart); err != nil {
		return err
	}
	checkpoint()
	injecting(time.Now())
	if err := runSteps(ctx, hp.exec, hp.host, hp.steps.Inject, checkpoint); err != nil {
		return err
	}
	if err := runSteps(ctx, hp.exec, hp.host, hp.steps.Verify, nil); err != nil {
		return fmt.Errorf("%w (verify: the fault is not in place)", err)
	}
	checkpoint()
	return nil
}

// armBatch is armHost in one round trip: the guard, the inject steps and
// the verify steps run in that order as one batch, which stops at the
// first failure (no inject without its guard started, no verify without
// the inject). The checkpoints are the same as armHost's, reached as the
// batch's outcome says each step succeeded; once the guard started,
// injecting is given the batch's start (the inject steps began within
// that round trip, right after the guard).
func armBatch(ctx context.Context, b batcher, hp hostPlan, injecting func(at time.Time)) error {
	steps := append(append([]Step{hp.guardStart}, hp.steps.Inject...), hp.steps.Verify...)
	start := time.Now()
	done, err := b.RunBatch(ctx, hp.host, steps)
	if done >= 1 {
		injecting(start)
	}
	verifyFrom := 1 + len(hp.steps.Inject)
	for i := 0; i < done && i < verifyFrom; i++ {
		checkpoint() // after the guard, after each inject step
	}
	switch {
	case err != nil && done >= verifyFrom:
		return fmt.Errorf("%w (verify: the fault is not in place)", err)
	case err != nil:
		return err
	}
	checkpoint() // after the verify
	return nil
}

// failed records a failed arm and returns err.
func (m *Manager) failed(r *Record, err error) (Armed, error) {
	r.State, r.Error, r.Updated = StateFailed, err.Error(), time.Now().UTC()
	if perr := m.ledger.Put(r); perr != nil {
		return r.armed(), fmt.Errorf("%w (and the ledger: %v)", err, perr)
	}
	m.event(timeline.FaultFailed, r, "%s on %s failed: %s", r.Kind, hostList(r.Hosts), r.Error)
	return r.armed(), err
}

func hostList(hosts []string) string {
	switch len(hosts) {
	case 0:
		return "no host"
	case 1:
		return hosts[0]
	}
	return fmt.Sprintf("%s and %d more", hosts[0], len(hosts)-1)
}
