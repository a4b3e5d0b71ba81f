package inject

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Revert reverts one fault by ID, verifies it is gone on every host and
// cancels its guards. Reverting a reverted fault is not an error.
func (m *Manager) Revert(ctx context.Context, id string) (Armed, error) {
	r, err := m.ledger.Get(id)
	if err != nil {
		return Armed{}, err
	}
	return m.revertRecord(ctx, r)
}

func (m *Manager) revertRecord(ctx context.Context, r *Record) (Armed, error) {
	// A fault past its deadline may have been reverted by its guards
	// already: say so rather than claim the revert.
	m.refreshExpired(ctx, []*Record{r})
	if !r.Active() {
		return r.armed(), nil
	}
	prev := r.State
	r.State, r.Updated = StateReverting, time.Now().UTC()
	if err := m.ledger.Put(r); err != nil {
		return r.armed(), err
	}
	err := m.revertHosts(ctx, r)
	r.Updated = time.Now().UTC()
	if err != nil {
		r.State, r.Error = StateFailed, "revert: "+err.Error()
		if perr := m.ledger.Put(r); perr != nil {
			return r.armed(), perr
		}
		m.event(timeline.FaultFailed, r, "revert of %s on %s failed: %s", r.Kind, hostList(r.Hosts), err)
		return r.armed(), err
	}
	if prev == StateFailed {
		// A failed arm (or revert) now cleaned up stays a failure in the
		// record, but nothing of it is left on any host.
		r.State = StateFailed
	} else {
		r.State, r.Error = StateReverted, ""
	}
	if err := m.ledger.Put(r); err != nil {
		return r.armed(), err
	}
	m.event(timeline.FaultReverted, r, "%s reverted on %s", r.Kind, hostList(r.Hosts))
	return r.armed(), nil
}

// revertHosts runs every touched host's revert, verifies it is gone and
// cancels the host's guard; a host whose fault verifies gone is no longer
// touched. It returns the hosts' failures as one error.
func (m *Manager) revertHosts(ctx context.Context, r *Record) error {
	var hps []hostPlan
	names := make([]string, 0, len(r.PerHost))
	for name, e := range r.PerHost {
		if e.Touched {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		h, ok := m.inv.Host(name)
		if !ok {
			// The ledger outlives inventories: revert with the host as it
			// was when armed.
			h = r.PerHost[name].Target
			if h.Name == "" {
				h = targets.Host{Name: name, Address: name}
			}
		}
		hps = append(hps, hostPlan{host: h})
	}
	var mu sync.Mutex
	errs := m.fanOut(ctx, hps, func(ctx context.Context, _ int, hp hostPlan) error {
		mu.Lock()
		e := *r.PerHost[hp.host.Name]
		mu.Unlock()
		err := m.revertHost(ctx, r.ID, hp.host, &e)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			r.PerHost[hp.host.Name].Status = "revert failed: " + err.Error()
			return err
		}
		r.PerHost[hp.host.Name].Status = "reverted"
		r.PerHost[hp.host.Name].Touched = false
		return nil
	})
	return joinErrs(errs)
}

func (m *Manager) revertHost(ctx context.Context, id string, h targets.Host, e *HostEntry) error {
	if e.Lab {
		if h.Lab == nil {
			h.Lab = &targets.LabNode{}
		}
		lc := m.labFor(e)
		checkpoint()
		if err := m.runLabWith(ctx, lc, h, true, e.LabRevert); err != nil {
			return err
		}
		checkpoint()
		if lc != nil {
			if err := lc.CancelGuard(ctx, e.Guard); err != nil {
				return fmt.Errorf("host %s: cancel the lab guard: %w", h.Name, err)
			}
		}
		return nil
	}
	// Every revert step runs even when one fails, so one stubborn step
	// does not leave the rest of the fault in place.
	var first error
	for _, s := range e.Revert {
		checkpoint()
		if err := m.runStep(ctx, h, s); err != nil && first == nil {
			first = err
		}
		checkpoint()
	}
	if first != nil {
		return first
	}
	for _, s := range e.VerifyGone {
		if err := m.runStep(ctx, h, s); err != nil {
			return fmt.Errorf("%w (verify: the fault is still there)", err)
		}
	}
	// The guard goes last: until the fault is verified gone, it is the
	// safety net.
	return m.runStep(ctx, h, guardCancelStep(id))
}

// RevertAll reverts every fault the ledger lists as not yet reverted,
// including those of dead sessions. It goes on past failures and returns
// them together.
func (m *Manager) RevertAll(ctx context.Context) ([]Armed, error) {
	all, err := m.ledger.Load()
	if err != nil {
		return nil, err
	}
	var out []Armed
	var errs []error
	for _, r := range all {
		if !r.Active() {
			continue
		}
		a, err := m.revertRecord(ctx, r)
		out = append(out, a)
		if err != nil {
			errs = append(errs, fmt.Errorf("fault %s: %w", r.ID, err))
		}
	}
	return out, joinErrs(errs)
}

// List returns the ledger's faults, oldest first, only the active ones when
// activeOnly. Faults past their deadline are first checked for a fired
// guard and recorded as expired.
func (m *Manager) List(activeOnly bool) ([]Armed, error) {
	all, err := m.ledger.Load()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m.refreshExpired(ctx, all)
	var out []Armed
	for _, r := range all {
		if activeOnly && !r.Active() {
			continue
		}
		out = append(out, r.armed())
	}
	return out, nil
}

// Orphans returns active faults armed by a session whose process is gone.
func (m *Manager) Orphans() ([]Armed, error) {
	all, err := m.List(true)
	if err != nil {
		return nil, err
	}
	var out []Armed
	for _, a := range all {
		if a.Liveness == SessionDead {
			out = append(out, a)
		}
	}
	return out, nil
}

// refreshExpired marks as expired the active faults past their deadline
// whose every touched host shows a fired guard.
func (m *Manager) refreshExpired(ctx context.Context, all []*Record) {
	now := time.Now()
	fired := map[string]map[string]bool{} // by lab dir
	for _, r := range all {
		if !r.Active() || r.State == StateArming || r.State == StateReverting || now.Before(r.Deadline) {
			continue
		}

		expired := true
		for name, e := range r.PerHost {
			if !e.Touched {
				continue
			}
			if e.Lab {
				if fired[e.LabDir] == nil {
					fired[e.LabDir] = labFired(e.LabDir)
				}
				expired = expired && fired[e.LabDir][e.Guard]
				continue
			}
			h, ok := m.inv.Host(name)
			if !ok {
				h = e.Target
			}
			if h.Name == "" {
				expired = false
				continue
			}
			hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := m.runStep(hctx, h, guardExpiredStep(r.ID))
			cancel()
			expired = expired && err == nil
		}
		if !expired {
			continue
		}
		for name, e := range r.PerHost {
			if e.Touched && !e.Lab {
				h, ok := m.inv.Host(name)
				if !ok {
					h = e.Target
				}
				// Remove the guard's marker and state files.
				m.runStep(ctx, h, guardCancelStep(r.ID))
			}
			e.Touched, e.Status = false, "expired: the TTL guard reverted it"
		}
		r.State, r.Updated = StateExpired, time.Now().UTC()
		if m.ledger.Put(r) == nil {
			m.event(timeline.FaultExpired, r, "%s on %s expired: the TTL guards reverted it", r.Kind, hostList(r.Hosts))
		}
	}
}
