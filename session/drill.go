package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/faultspec"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/timeline"
)

// drillCheckTimeout bounds the check of a drill against the inventory
// (its live selectors ask the Sentinels).
const drillCheckTimeout = time.Minute

// checkDrill fits the session's drill to its inventory, probes and fault
// manager (blast radius) before anything is recorded.
func (s *Session) checkDrill() error {
	dr := s.cfg.Drill
	ctx, cancel := context.WithTimeout(context.Background(), drillCheckTimeout)
	defer cancel()
	env := drills.Env{Probes: s.set.Probes(), Hosts: runbooks.InventoryHosts{Inv: s.cfg.Targets}, Faults: s.mgr, IKnow: s.cfg.IKnow}
	if err := dr.Check(ctx, env); err != nil {
		return &BadInput{err}
	}
	return nil
}

// Drill is the drill the session can run (nil if none).
func (s *Session) Drill() *drills.Drill { return s.cfg.Drill }

// Seed is the seed of the drill's plan.
func (s *Session) Seed() uint64 { return s.cfg.Seed }

// DrillOptions tune a drill run.
type DrillOptions struct {
	// Trainer names who started it (drill.start's author).
	Trainer string
	// Progress, when set, receives one line per phase (the trainer's
	// terminal).
	Progress func(line string)
	// Clock is the drill's clock (tests); nil is the real one.
	Clock drills.Clock
}

// RunDrill runs the session's drill to its end with the plan of
// Config.Seed: every scenario's fault armed through the session's fault
// manager (ledger first, TTL guards) and reverted when its time is up, a
// trainee's mitigation is confirmed, ctx ends or the session closes. One
// drill runs once; the error is for a run that could not start.
func (s *Session) RunDrill(ctx context.Context, o DrillOptions) (drills.Result, error) {
	wait, err := s.StartDrill(ctx, o)
	if err != nil {
		return drills.Result{}, err
	}
	return wait(), nil
}

// StartDrill starts RunDrill's run in the background and returns how to
// wait for its result: once it returns, StopDrill and Close stop this
// run.
func (s *Session) StartDrill(ctx context.Context, o DrillOptions) (wait func() drills.Result, err error) {
	dr := s.cfg.Drill
	switch {
	case dr == nil:
		return nil, errors.New("this session has no drill")
	case s.mgr == nil:
		return nil, errors.New("this session has no fault manager")
	case s.cfg.ReadOnly:
		return nil, errors.New("this session is read-only: a drill arms faults")
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &drills.Runner{
		Drill: dr, Plan: drills.NewPlan(dr, s.cfg.Seed), Faults: s.mgr, Recorder: s.rec,
		Hosts: runbooks.InventoryHosts{Inv: s.cfg.Targets}, Inv: s.cfg.Targets, IKnow: s.cfg.IKnow,
		Trainer: o.Trainer, Clock: o.Clock, Progress: o.Progress,
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		cancel()
		return nil, errors.New("the session has ended")
	case s.drill != nil:
		s.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("drill %s has already run in this session", dr.Name)
	}
	done := make(chan struct{})
	s.drill, s.drillCancel, s.drillDone = r, cancel, done
	s.mu.Unlock()
	var res drills.Result
	go func() {
		defer close(done)
		defer cancel()
		var err error
		if res, err = r.Run(ctx); err != nil {
			res = drills.Result{Reason: err.Error()}
		}
	}()
	return func() drills.Result { <-done; return res }, nil
}

// StopDrill stops a running drill and waits until its fault is reverted
// and its end recorded; it reports whether one was running.
func (s *Session) StopDrill() bool {
	s.mu.Lock()
	cancel, done := s.drillCancel, s.drillDone
	s.mu.Unlock()
	if cancel == nil || s.drillEnded() {
		return false
	}
	cancel()
	<-done
	return true
}

// runner is the session's drill run, or an error saying there is none.
func (s *Session) runner() (*drills.Runner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drill == nil {
		return nil, drills.ErrNotRunning
	}
	return s.drill, nil
}

// drillEnded tells whether the session's drill has run to its end (its
// reveal recorded).
func (s *Session) drillEnded() bool {
	s.mu.Lock()
	done := s.drillDone
	s.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// mayDeclare says why this person may not declare in a drill.
func (a *Attachment) mayDeclare() (*drills.Runner, error) {
	if p := a.Person(); p.Role != Trainee {
		return nil, fmt.Errorf("%ss do not declare: declarations are the trainees' (the drill scores them)", p.Role)
	}
	return a.s.runner()
}

// Diagnose declares this trainee's diagnosis: the hosts and the fault
// kind they believe are at fault, with free text.
func (a *Attachment) Diagnose(hosts []string, kind, text string) error {
	r, err := a.mayDeclare()
	if err != nil {
		return err
	}
	return r.Diagnose(a.Who(), hosts, kind, text)
}

// Mitigated declares that this trainee mitigated the incident, with the
// action they took.
func (a *Attachment) Mitigated(action string) error {
	r, err := a.mayDeclare()
	if err != nil {
		return err
	}
	return r.Mitigated(a.Who(), action)
}

// Confirm confirms, for the trainer, that trainee's mitigation worked:
// the scenario ends and its fault is reverted.
func (a *Attachment) Confirm(trainee string) error {
	if err := a.MayArm(); err != nil {
		return err
	}
	r, err := a.s.runner()
	if err != nil {
		return err
	}
	return r.Confirm(a.Who(), trainee)
}

// DrillPlan is the drill's hidden plan, for those who see faults.
func (a *Attachment) DrillPlan() (string, error) {
	if !a.role().SeesFaults() {
		return "", errors.New("the plan is hidden from trainees until the drill ends")
	}
	dr := a.s.cfg.Drill
	if dr == nil {
		return "", errors.New("this session has no drill")
	}
	return drills.NewPlan(dr, a.s.cfg.Seed).String(), nil
}

// Score is the drill's score board as of now: for those who see faults at
// any time, for trainees once the drill has ended.
func (a *Attachment) Score() (drills.Board, error) {
	a.s.mu.Lock()
	evs := slices.Clone(a.s.drillEvents)
	a.s.mu.Unlock()
	// The reveal is drill.end, as the screens receive it: a trainee's
	// screen that got it gets the board.
	ended := slices.ContainsFunc(evs, func(e timeline.Event) bool { return e.Kind == drills.KindEnd })
	if !a.role().SeesFaults() && !ended {
		return drills.Board{}, errors.New("the score board is shown to trainees when the drill ends")
	}
	return drills.Score(evs), nil
}

// Trainees lists the trainees attached now, by name.
func (s *Session) Trainees() []string {
	var out []string
	for _, p := range s.People() {
		if p.Role == Trainee {
			out = append(out, p.Name)
		}
	}
	return out
}

// FaultKinds is every registered fault kind, the list a trainee picks a
// diagnosis from: never the drill's candidates, which would leak them.
func FaultKinds() []string { return faultspec.KindNames() }

// scored tells whether drills.Score reads e: the session keeps those
// events whole (the history's ring may drop them in a long drill).
func scored(e timeline.Event) bool {
	return strings.HasPrefix(string(e.Kind), "drill.") || e.Kind == timeline.SessionJoin
}

var _ drills.Faults = (*inject.Manager)(nil)
