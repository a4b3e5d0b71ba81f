package inject

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Revert reverts one fault by ID, verifies it is gone on every host and
// cancels its guards. Reverting a reverted fault is not an error.
func (m *Manager) Revert(ctx context.Context, id string) (Armed, error) {
	return m.RevertBy(ctx, id, "")
}

// RevertBy is Revert on behalf of by (a person of a shared session), whom
// the ledger and the fault's events name.
func (m *Manager) RevertBy(ctx context.Context, id, by string) (Armed, error) {
	r, err := m.ledger.Get(id)
	if err != nil {
		return Armed{}, err
	}
	return m.revertRecord(ctx, r, by)
}

func (m *Manager) revertRecord(ctx context.Context, r *Record, by string) (Armed, error) {
	// A fault past its deadline may have been reverted by its guards
	// already: say so rather than claim the revert.
	m.reconcile(ctx, []*Record{r})
	if !r.Active() {
		return r.armed(), nil
	}
	prev := r.State
	r.State, r.Updated, r.RevertedBy = StateReverting, time.Now().UTC(), by
	if err := m.ledger.Put(r); err != nil {
		return r.armed(), err
	}
	gone, err := m.revertHosts(ctx, r)
	r.Updated = time.Now().UTC()
	if err != nil {
		r.State, r.Error = StateFailed, "revert: "+err.Error()
		if perr := m.ledger.Put(r); perr != nil {
			return r.armed(), perr
		}
		m.event(timeline.FaultFailed, r, "revert of %s on %s failed: %s", r.Kind, hostList(r.Hosts), err)
		return r.armed(), err
	}
	if prev == StateFailed && r.ArmedAt.IsZero() {
		// A failed arm now cleaned up stays a failure in the record, but
		// nothing of it is left on any host. (A fault once armed whose
		// revert failed before is reverted now.)
		r.State = StateFailed
	} else if gone {
		r.State, r.Error = StateGone, ""
	} else {
		r.State, r.Error = StateReverted, ""
	}
	if err := m.ledger.Put(r); err != nil {
		return r.armed(), err
	}
	if r.State == StateGone {
		// Its end, but not a revert: the lab took the fault with it.
		m.event(timeline.FaultReverted, r, "%s on %s is gone with the lab that armed it", r.Kind, hostList(r.Hosts))
		return r.armed(), nil
	}
	m.event(timeline.FaultReverted, r, "%s reverted on %s", r.Kind, hostList(r.Hosts))
	return r.armed(), nil
}

// hostEntry is one touched host of a ledger record with the executor
// that reaches it.
type hostEntry struct {
	name string
	host targets.Host
	e    *HostEntry
	exec Executor
	// guard is the guard as its executor started it.
	guard Guard
}

// touched returns r's touched hosts, by name, each with its executor.
func (m *Manager) touched(r *Record) ([]hostEntry, error) {
	names := make([]string, 0, len(r.PerHost))
	for name, e := range r.PerHost {
		if e.Touched {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []hostEntry
	for _, name := range names {
		e := r.PerHost[name]
		h, ok := m.inv.Host(name)
		if !ok {
			// The ledger outlives inventories: revert with the host as it
			// was when armed.
			h = e.Target
			if h.Name == "" {
				h = targets.Host{Name: name, Address: name}
			}
		}
		d, err := executorNamed(e.Executor)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
		x, err := m.executor(d, e.Via)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
		out = append(out, hostEntry{name: name, host: h, e: e, exec: x,
			guard: Guard{Fault: r.ID, Host: name, TTL: r.TTL, Revert: e.Revert, VerifyGone: e.VerifyGone, Flap: e.Flap}})
	}
	return out, nil
}

// revertHosts runs every touched host's revert, verifies it is gone and
// cancels the host's guard; a host whose fault verifies gone is no longer
// touched. It returns the hosts' failures as one error, and whether every
// host's fault went with the lab that armed it (nothing reverted).
func (m *Manager) revertHosts(ctx context.Context, r *Record) (gone bool, err error) {
	hes, err := m.touched(r)
	if err != nil {
		return false, err
	}
	var mu sync.Mutex
	nGone := 0
	// A flap this process watches: no more polls; its last toggles are
	// read once its guard stopped toggling, before the guard goes.
	w := m.unwatchFlap(r.ID)
	parts := make([]hostPart, len(hes))
	for i, he := range hes {
		_, cancel := he.exec.Guard(he.guard)
		parts[i] = hostPart{exec: he.exec, at: execKey(he.e.Executor, he.e.Via), host: he.host,
			steps: slices.Concat(he.e.Revert, he.e.VerifyGone, []Step{cancel})}
	}
	errs := fanOut(ctx, m.hostBounds(parts), hes, func(ctx context.Context, _ int, he hostEntry) error {
		err := revertHost(ctx, he, func(ctx context.Context) { w.poll(ctx, he.exec, he.host, he.guard) })
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			he.e.Status = "revert failed: " + err.Error()
			return err
		}
		he.e.Status, he.e.Touched = "reverted", false
		if n, ok := he.exec.(noter); ok {
			if note := n.RevertNote(he.name); note != "" {
				he.e.Status = "gone: " + note
				nGone++
			}
		}
		return nil
	})
	return len(hes) > 0 && nGone == len(hes), JoinErrors(errs)
}

// revertHost runs the host's revert steps (all of them, even when one
// fails, so one stubborn step does not leave the rest in place), verifies
// the fault is gone and only then cancels the guard: until then it is the
// safety net. Before the cancel, which removes the guard's state, last
// reads what the guard left (a flap's toggles).
func revertHost(ctx context.Context, he hostEntry, last func(context.Context)) error {
	var first error
	for _, s := range he.e.Revert {
		checkpoint()
		if err := he.exec.Run(ctx, he.host, s); err != nil && first == nil {
			first = err
		}
		checkpoint()
	}
	if first != nil {
		return first
	}
	if err := runSteps(ctx, he.exec, he.host, he.e.VerifyGone, nil); err != nil {
		return fmt.Errorf("%w (verify: the fault is still there)", err)
	}
	if last != nil {
		last(ctx)
	}
	_, cancel := he.exec.Guard(he.guard)
	return he.exec.Run(ctx, he.host, cancel)
}

// RevertAll reverts every fault the ledger lists as not yet reverted,
// including those of dead sessions, all at once. It goes on past failures
// and returns them together.
func (m *Manager) RevertAll(ctx context.Context) ([]Armed, error) {
	return m.RevertAllBy(ctx, "")
}

// RevertAllBy is RevertAll on behalf of by.
func (m *Manager) RevertAllBy(ctx context.Context, by string) ([]Armed, error) {
	all, err := m.ledger.Load()
	if err != nil {
		return nil, err
	}
	var active []*Record
	for _, r := range all {
		if r.Active() {
			active = append(active, r)
		}
	}
	out := make([]Armed, len(active))
	errs := fanOut(ctx, nil, active, func(ctx context.Context, i int, r *Record) error {
		a, err := m.revertRecord(ctx, r, by)
		out[i] = a
		if err != nil {
			return fmt.Errorf("fault %s: %w", r.ID, err)
		}
		return nil
	})
	return out, JoinErrors(errs)
}

// List returns the ledger's faults, oldest first, only the active ones when
// activeOnly. It only reads the ledger: Reconcile is what asks the hosts.
func (m *Manager) List(activeOnly bool) ([]Armed, error) {
	all, err := m.ledger.Load()
	if err != nil {
		return nil, err
	}
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

// Reconcile asks the hosts of every active fault past its deadline what
// its guards did, and records the outcome: expired when every guard fired
// and the fault verified gone, "expired, revert failed" when a guard fired
// but the fault did not verify gone. It bounds itself to 10 s.
func (m *Manager) Reconcile(ctx context.Context) error {
	all, err := m.ledger.Load()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m.reconcile(ctx, all)
	return nil
}
