package runbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// Faults is what the Runner needs of inject.Manager: preview, arm exactly
// the plan previewed (and confirmed), and revert one fault.
type Faults interface {
	Preview(ctx context.Context, req inject.Request) (inject.Preview, error)
	ArmPlan(ctx context.Context, p inject.Preview) (inject.Armed, error)
	Revert(ctx context.Context, id string) (inject.Armed, error)
}

// Runner executes one runbook: it runs the steps in order, judges the
// hypothesis from the probe readings it sees on the Recorder, stops at an
// abort condition, always runs the rollback, and records a runbook.step
// event at the start and end of every step and a runbook.verdict event at
// the end. The same Runner serves `gameday run` and the TUI. A Runner
// runs once.
type Runner struct {
	Runbook  *Runbook
	Faults   Faults
	Recorder *timeline.Recorder
	Hosts    HostResolver
	// Expected lists the probes wait-steady must have seen reporting ok;
	// when empty, every probe that has reported counts.
	Expected []ProbeKey
	// ConfirmInject, when set, is asked before every inject with the exact
	// plan; false stops the run (aborted) and rolls back.
	ConfirmInject func(ctx context.Context, p inject.Preview) (bool, error)
	// Progress, when set, receives one line at the start and one at the end
	// of every step.
	Progress func(line string)
	// RollbackTimeout bounds the rollback as a whole (default 5 min). The
	// rollback never listens to the Run context: interrupting a run is what
	// starts the rollback, not what stops it.
	RollbackTimeout time.Duration

	mu      sync.Mutex
	faults  []armedFault // every fault this run armed, in order
	mon     *monitor
	masterB map[string]string // masters before the latest inject
	cause   error             // why the steps stopped early
}

// armedFault is a fault the run armed and whether it was reverted since.
type armedFault struct {
	name     string // the inject step's name ("" if unnamed)
	id       string
	reverted bool
}

// Result is what a run came to.
type Result struct {
	// Verdict is timeline.VerdictHeld, VerdictDeviated or VerdictAborted.
	Verdict string
	// Reason says why it deviated or aborted, in one line.
	Reason     string
	Conditions []timeline.ConditionResult
	// Faults are the IDs of the faults the run armed.
	Faults []string
	// RollbackErr is set when the rollback could not revert every fault:
	// the operator must act (gameday revert --all).
	RollbackErr error
}

// Errors that end the steps early, by verdict.
var (
	errDeviated = errors.New("deviated")
	errAborted  = errors.New("aborted")
)

// DefaultRollbackTimeout bounds a rollback when Runner.RollbackTimeout is 0.
const DefaultRollbackTimeout = 5 * time.Minute

// startEvent is the runbook.step event that begins the run; it names the
// variables' values, so that the journal tells two runs of one runbook
// apart.
func (r *Runner) startEvent() timeline.Event {
	rb := r.Runbook
	e := timeline.NewEvent(timeline.RunbookStep, "runbook", "runbook %s started: %d steps", rb.Name, len(rb.Steps))
	data := &timeline.StepData{Runbook: rb.Name, Phase: "begin"}
	if len(rb.Vars) > 0 {
		e.Summary += " (" + VarsLine(rb.Vars) + ")"
		data.Vars = map[string]string{}
		for _, v := range rb.Vars {
			data.Vars[v.Name] = v.Value
		}
	}
	return e.WithData(data)
}

// VarsLine lists variables as "name=value, …" in their order.
func VarsLine(vars []Var) string {
	parts := make([]string, len(vars))
	for i, v := range vars {
		parts[i] = v.Name + "=" + v.Value
	}
	return strings.Join(parts, ", ")
}

// Run executes the runbook. Cancelling ctx (Ctrl-C) stops the current step
// and goes straight to the rollback, which runs to its end whatever ctx
// does. The error is only for a Runner that cannot start.
func (r *Runner) Run(ctx context.Context) (Result, error) {
	if r.Runbook == nil || r.Faults == nil || r.Recorder == nil || r.Hosts == nil {
		return Result{}, errors.New("runbooks: Runner needs a Runbook, Faults, a Recorder and Hosts")
	}
	rb := r.Runbook
	stepsCtx, stopSteps := context.WithCancelCause(ctx)
	defer stopSteps(nil)
	r.mon = newMonitor(rb, r.Expected, func(reason string) {
		stopSteps(fmt.Errorf("%w: %s", errAborted, reason))
	})
	r.masterB = map[string]string{}
	sub := r.Recorder.Subscribe(4096)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.mon.consume(sub, stop)
	}()
	defer func() {
		close(stop)
		sub.Close()
		<-done
	}()

	r.Recorder.Record(r.startEvent())
	err := r.runSteps(stepsCtx, rb.Steps)
	stepsEnd := time.Now()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = fmt.Errorf("%w: interrupted", errAborted)
	case context.Cause(stepsCtx) != nil && errors.Is(context.Cause(stepsCtx), errAborted):
		err = context.Cause(stepsCtx)
	}
	conds, deviation := r.mon.verdict(stepsEnd)

	rollbackErr := r.rollback(ctx)

	res := Result{Conditions: conds, RollbackErr: rollbackErr}
	for _, f := range r.armedFaults() {
		res.Faults = append(res.Faults, f.id)
	}
	switch {
	case err == nil && deviation == "":
		res.Verdict = timeline.VerdictHeld
	case err == nil:
		res.Verdict, res.Reason = timeline.VerdictDeviated, deviation
	case errors.Is(err, errDeviated):
		res.Verdict, res.Reason = timeline.VerdictDeviated, reasonOf(err, errDeviated)
	default:
		res.Verdict, res.Reason = timeline.VerdictAborted, reasonOf(err, errAborted)
	}
	if rollbackErr != nil {
		res.Reason = joinReason(res.Reason, "rollback: "+rollbackErr.Error())
	}
	if n := sub.Dropped(); n > 0 {
		// The verdict was judged without them; say so rather than hide it.
		res.Reason = joinReason(res.Reason, fmt.Sprintf("%d timeline events were missed by the runner (it fell behind)", n))
	}
	data := timeline.VerdictData{Verdict: res.Verdict, Runbook: rb.Name, Reason: res.Reason, Conditions: conds}
	r.Recorder.Record(timeline.NewEvent(timeline.RunbookVerdict, "runbook", "runbook %s: %s%s", rb.Name, res.Verdict, prefixed(": ", res.Reason)).WithData(data))
	r.Recorder.Sync()
	return res, nil
}

// runSteps runs steps in order until one fails or ctx ends. The
// hypothesis is judged from the end of the first wait-steady, or from the
// first step that is neither a wait-steady nor a note: what the system did
// before its steady state was confirmed is not a deviation.
func (r *Runner) runSteps(ctx context.Context, steps []Step) error {
	for i, s := range steps {
		if s.Action != ActionWaitSteady && s.Action != ActionNote {
			r.mon.judgeFrom(time.Now())
		}
		if err := r.runStep(ctx, steps, i, false); err != nil {
			return err
		}
		if s.Action == ActionWaitSteady {
			r.mon.judgeFrom(time.Now())
		}
	}
	return ctx.Err()
}

// rollback runs the rollback steps, then reverts whatever this run armed
// and has not reverted, on a context of its own.
func (r *Runner) rollback(parent context.Context) error {
	timeout := r.RollbackTimeout
	if timeout <= 0 {
		timeout = DefaultRollbackTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), timeout)
	defer cancel()
	var errs []error
	for i := range r.Runbook.Rollback {
		if err := r.runStep(ctx, r.Runbook.Rollback, i, true); err != nil {
			// One rollback step failing must not stop the others, above all
			// not the reverts.
			errs = append(errs, err)
		}
	}
	if err := r.revertAll(ctx, "rollback"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// armedFaults returns a copy of the faults armed so far.
func (r *Runner) armedFaults() []armedFault {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]armedFault(nil), r.faults...)
}

// revertAll reverts every fault of this run not yet reverted, newest
// first, and reports those it could not revert.
func (r *Runner) revertAll(ctx context.Context, why string) error {
	faults := r.armedFaults()
	var errs []error
	for i := len(faults) - 1; i >= 0; i-- {
		f := faults[i]
		if f.reverted {
			continue
		}
		if err := r.revertOne(ctx, f.id); err != nil {
			errs = append(errs, err)
			continue
		}
		r.progress("  %s: reverted fault %s", why, f.id)
	}
	return errors.Join(errs...)
}

// revertOne reverts a fault and marks it reverted.
func (r *Runner) revertOne(ctx context.Context, id string) error {
	if _, err := r.Faults.Revert(ctx, id); err != nil {
		return fmt.Errorf("revert fault %s: %w", id, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.faults {
		if r.faults[i].id == id {
			r.faults[i].reverted = true
		}
	}
	return nil
}

func (r *Runner) progress(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(fmt.Sprintf(format, args...))
	}
}

// reasonOf strips the sentinel's prefix from a wrapped verdict error.
func reasonOf(err, sentinel error) string {
	return strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
