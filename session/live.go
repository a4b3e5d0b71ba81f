package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/timeline"
)

// fanBatch bounds how many queued events the fan-out takes at once.
const fanBatch = 512

// ledgerPoll is how often a live session lists the ledger when no fault
// event says it changed: faults another gameday process armed, and TTL
// guards that fired, show up within it.
const ledgerPoll = 5 * time.Second

// fan reads the session's one subscription, keeps the history screens are
// rebuilt from, and queues each batch for every attached screen. It does
// nothing that can block: a screen's queue is bounded, and a screen that
// overflows it is marked for a reset instead.
func (s *Session) fan(sub *timeline.Subscription) {
	var dropped uint64
	ch := sub.C()
	batch := make([]timeline.Event, 0, fanBatch)
	for e := range ch {
		batch = append(batch[:0], e)
	more:
		for len(batch) < fanBatch {
			select {
			case e, ok := <-ch:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		faults := false
		for i := range batch {
			batch[i] = forScreens(batch[i])
		}
		s.mu.Lock()
		for _, e := range batch {
			s.hist.add(e)
			if s.cfg.Drill != nil && scored(e) {
				s.drillEvents = append(s.drillEvents, e)
			}
			if strings.HasPrefix(string(e.Kind), "fault.") {
				s.faultSeq, faults = e.Seq, true
			}
		}
		if d := sub.Dropped(); d != dropped {
			// The history itself missed events: no queue can be trusted,
			// so every screen is rebuilt from what is kept.
			dropped = d
			for a := range s.atts {
				a.resync()
			}
		} else {
			// Screens own the slice they are handed.
			evs := append([]timeline.Event(nil), batch...)
			for a := range s.atts {
				a.offer(evs)
			}
		}
		s.mu.Unlock()
		if faults {
			s.listSoon()
		}
	}
}

// forScreens is e as screens may show it. Recorder.Record has already
// redacted it (data, summary, author), so nothing is left to do here; the
// function marks the one place events leave for screens.
func forScreens(e timeline.Event) timeline.Event { return e }

func (s *Session) listSoon() {
	select {
	case s.refresh <- struct{}{}:
	default:
	}
}

// listFaults lists the ledger's armed faults for every screen: after each
// fault event, and every ledgerPoll.
func (s *Session) listFaults(ctx context.Context) {
	t := time.NewTicker(ledgerPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.mu.Lock()
			s.armedErr = errors.New("the session has ended")
			s.armedSeq, s.listed = ^uint64(0), true
			close(s.armedReady)
			s.armedReady = make(chan struct{})
			s.mu.Unlock()
			return
		case <-s.refresh:
		case <-t.C:
		}
		s.mu.Lock()
		seq := s.faultSeq
		s.mu.Unlock()
		if !s.cfg.ReadOnly {
			// Faults past their deadline are settled from what their
			// guards did (inject.Manager.Reconcile); a read-only session
			// only reads the ledger.
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_ = s.mgr.Reconcile(rctx)
			cancel()
		}
		list, err := s.mgr.List(true)
		s.mu.Lock()
		s.armed, s.armedErr, s.armedSeq, s.listed = list, err, max(s.armedSeq, seq), true
		close(s.armedReady)
		s.armedReady = make(chan struct{})
		s.mu.Unlock()
	}
}

// armedNow returns the armed faults as of the latest fault event the
// session has seen, waiting for the listing that follows it.
func (s *Session) armedNow() ([]inject.Armed, error) {
	s.mu.Lock()
	want := s.faultSeq
	for !s.listed || s.armedSeq < want {
		ready := s.armedReady
		s.mu.Unlock()
		<-ready
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	return append([]inject.Armed(nil), s.armed...), s.armedErr
}

// ListedArmed returns the armed faults as the session last listed them
// from the ledger (after each fault event, and every ledgerPoll), without
// waiting for a listing to follow the latest fault event: for readers that
// must never block, such as a /metrics scrape. Nil before the first
// listing and in a session without a fault manager.
func (s *Session) ListedArmed() ([]inject.Armed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]inject.Armed(nil), s.armed...), s.armedErr
}

// RevertArmed reverts the faults this session's process armed that are
// still in place (not those a dead session left behind): what quitting
// without a choice, a signal or the end of `gameday serve` must take
// down. It returns how many it reverted.
func (s *Session) RevertArmed(ctx context.Context) (int, error) {
	if s.mgr == nil {
		return 0, nil
	}
	active, err := s.mgr.List(true)
	if err != nil {
		return 0, err
	}
	self := inject.CurrentSession().String()
	var errs []error
	n := 0
	for _, a := range active {
		if a.Session != self {
			continue
		}
		if _, err := s.mgr.Revert(ctx, a.ID); err != nil {
			errs = append(errs, fmt.Errorf("revert %s: %w", a.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// RunbookOptions tune a runbook run.
type RunbookOptions struct {
	// Ask, when set, is asked before every inject with the exact plan;
	// false aborts the run, which rolls back.
	Ask func(ctx context.Context, p inject.Preview) (bool, error)
	// Progress, when set, receives a line at the start and end of every
	// step.
	Progress func(line string)
	// By names who runs it: the faults it arms and reverts are theirs.
	By string
}

// RunRunbook runs the session's runbook to its end, rollback included.
// One runbook runs at a time; cancelling ctx, or closing the session,
// interrupts it and it rolls back. The error is for a run that could not
// start.
func (s *Session) RunRunbook(ctx context.Context, o RunbookOptions) (res runbooks.Result, err error) {
	rb := s.cfg.Runbook
	switch {
	case rb == nil:
		return runbooks.Result{}, errors.New("this session has no runbook")
	case s.mgr == nil:
		return runbooks.Result{}, errors.New("this session has no fault manager")
	case s.cfg.ReadOnly:
		return runbooks.Result{}, errors.New("this session is read-only: a runbook arms faults")
	case !s.runbook.TryLock():
		return runbooks.Result{}, fmt.Errorf("runbook %s is already running", rb.Name)
	}
	defer s.runbook.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return runbooks.Result{}, errors.New("the session has ended")
	}
	s.rbCancel = cancel
	done := make(chan struct{})
	s.rbDone = done
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.rbCancel, s.rbDone, s.rbResult = nil, nil, res
		close(done)
		s.mu.Unlock()
	}()
	r := &runbooks.Runner{
		Runbook: rb, Faults: byPerson{s.mgr, o.By}, Recorder: s.rec,
		Hosts:         runbooks.InventoryHosts{Inv: s.cfg.Targets},
		Expected:      runbooks.ProbeKeys(s.set.Probes()),
		ConfirmInject: o.Ask,
		Progress:      o.Progress,
	}
	return r.Run(ctx)
}

// RunbookRunning tells whether a runbook runs in the session now.
func (s *Session) RunbookRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rbDone != nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Runbook is the runbook the session can run (nil if none).
func (s *Session) Runbook() *runbooks.Runbook { return s.cfg.Runbook }

// StopRunbook interrupts a running runbook and waits for its rollback; it
// reports whether one was running.
func (s *Session) StopRunbook() bool {
	s.mu.Lock()
	cancel := s.rbCancel
	s.mu.Unlock()
	if cancel == nil {
		return false
	}
	cancel()
	s.runbook.Lock() // held by the run until its rollback has finished
	s.runbook.Unlock()
	return true
}
