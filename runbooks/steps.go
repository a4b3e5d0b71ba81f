package runbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/timeline"
)

// Describe returns a step as one line for progress and the timeline:
// "inject slow-master: latency on role:master".
func (s Step) Describe() string {
	switch s.Action {
	case ActionWaitSteady:
		return fmt.Sprintf("wait-steady %s (timeout %s)", s.WaitSteady.For, s.WaitSteady.Timeout)
	case ActionInject:
		name := ""
		if s.Inject.Name != "" {
			name = " " + s.Inject.Name
		}
		return fmt.Sprintf("inject%s: %s on %s%s", name, s.Inject.Kind, strings.Join(s.Inject.Hosts, ", "), paramText(s.Inject.Params))
	case ActionHold:
		return "hold " + s.Hold.String()
	case ActionRevert:
		return "revert " + s.Revert
	case ActionExpect:
		return fmt.Sprintf("expect %s within %s", s.Expect.Condition.String(), s.Expect.Within)
	case ActionNote:
		return "note: " + s.Note
	}
	return string(s.Action)
}

func paramText(p map[string]string) string {
	if len(p) == 0 {
		return ""
	}
	keys := sortedKeys(p)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// runStep runs steps[i], recording its start and end.
func (r *Runner) runStep(ctx context.Context, steps []Step, i int, rollback bool) error {
	s := steps[i]
	label := fmt.Sprintf("step %d/%d", i+1, len(steps))
	if rollback {
		label = fmt.Sprintf("rollback %d/%d", i+1, len(steps))
	}
	desc := s.Describe()
	start := time.Now()
	r.mon.allow(s.Allow, start)
	r.progress("%s %s …", label, desc)
	r.record(timeline.NewEvent(timeline.RunbookStep, "runbook", "%s %s", label, desc), s, i, rollback, "start", "", "")

	detail, err := r.do(ctx, s)

	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, errDeviated):
		result = "deviated"
	case context.Cause(ctx) != nil:
		result = "stopped"
	default:
		result = "failed"
	}
	switch {
	case result == "stopped" && errors.Is(context.Cause(ctx), errAborted):
		detail = reasonOf(context.Cause(ctx), errAborted)
	case result == "stopped":
		detail = "interrupted"
	case err != nil:
		detail = reasonOf(err, errDeviated)
	}
	took := time.Since(start).Round(100 * time.Millisecond)
	r.progress("%s %s: %s%s (%s)", label, desc, result, prefixed(": ", detail), took)
	r.record(timeline.NewEvent(timeline.RunbookStep, "runbook", "%s %s: %s%s", label, desc, result, prefixed(": ", detail)), s, i, rollback, "end", result, detail)
	if err != nil && result == "stopped" {
		return ctx.Err()
	}
	return err
}

// record records a runbook.step event. Data: runbook, step (1-based),
// steps (count), action, phase ("start"/"end"), result and detail at the
// end, rollback (true for rollback steps).
func (r *Runner) record(e timeline.Event, s Step, i int, rollback bool, phase, result, detail string) {
	r.Recorder.Record(e.WithData(&timeline.StepData{Runbook: r.Runbook.Name, Step: i + 1, Action: string(s.Action),
		Phase: phase, Rollback: rollback, Result: result, Detail: detail}))
}

// do performs one step and returns a short detail for its end line.
func (r *Runner) do(ctx context.Context, s Step) (string, error) {
	switch s.Action {
	case ActionNote:
		r.Recorder.Record(timeline.NewEvent(timeline.Note, "runbook", "%s", s.Note))
		return "", nil
	case ActionHold:
		return "", sleep(ctx, s.Hold)
	case ActionWaitSteady:
		return r.waitSteady(ctx, s.WaitSteady)
	case ActionExpect:
		return r.expect(ctx, s.Expect)
	case ActionInject:
		return r.inject(ctx, s.Inject)
	case ActionRevert:
		return r.revert(ctx, s.Revert)
	}
	return "", fmt.Errorf("unknown step action %q", s.Action)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitSteady waits until every probe has been ok for w.For.
func (r *Runner) waitSteady(ctx context.Context, w *WaitSteady) (string, error) {
	deadline := time.NewTimer(w.Timeout)
	defer deadline.Stop()
	for {
		changed := r.mon.wait()
		var recheck <-chan time.Time
		if since := r.mon.steady(); !since.IsZero() {
			left := w.For - time.Since(since)
			if left <= 0 {
				return fmt.Sprintf("all probes ok for %s", round(time.Since(since))), nil
			}
			recheck = time.After(left)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline.C:
			return "", fmt.Errorf("%w: not steady within %s: %s", errDeviated, w.Timeout, r.mon.notOK())
		case <-changed:
		case <-recheck:
		}
	}
}

// expect waits until a reading taken after the step began meets the
// condition on every target of the probe seen so far.
func (r *Runner) expect(ctx context.Context, e *Expect) (string, error) {
	start := time.Now()
	deadline := time.NewTimer(e.Within)
	defer deadline.Stop()
	var last string
	for {
		changed := r.mon.wait()
		if detail, ok := r.expectMet(e, start, &last); ok {
			return detail, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline.C:
			return "", fmt.Errorf("%w: %s not met within %s (last: %s)", errDeviated, e.Condition.String(), e.Within, orText(last, "no reading"))
		case <-changed:
		}
	}
}

// expectMet reports whether e holds now, with what the readings showed;
// last keeps the latest measured text for the timeout message.
func (r *Runner) expectMet(e *Expect, start time.Time, last *string) (string, bool) {
	fresh, known := r.mon.readings(e.Probe, e.Target, start)
	if len(fresh) == 0 || len(fresh) < known {
		return "", false
	}
	var seen []string
	for _, rd := range fresh {
		ok, text := r.meets(e, rd)
		*last = text
		if !ok {
			return "", false
		}
		seen = append(seen, text)
	}
	return "met after " + round(time.Since(start)).String() + ": " + strings.Join(seen, ", "), true
}

// meets evaluates an expect condition on one reading.
func (r *Runner) meets(e *Expect, rd probes.Reading) (bool, string) {
	switch e.Expr.Kind {
	case ExprStatus:
		return rd.Status == e.Expr.Status, string(rd.Status)
	case ExprChanged:
		r.mu.Lock()
		before := r.masterB[rd.Target]
		r.mu.Unlock()
		if rd.Master == "" {
			return false, "no agreed master"
		}
		if before == "" {
			return false, "master " + rd.Master + " (no master known before the inject)"
		}
		return rd.Master != before, "master " + before + " → " + rd.Master
	}
	holds, measured, has := e.Expr.check(rd)
	if !has {
		return false, "not measurable (" + string(rd.Status) + ")"
	}
	return holds, measured
}

// inject resolves the hosts, previews, asks for confirmation and arms.
func (r *Runner) inject(ctx context.Context, in *Inject) (string, error) {
	masters := r.mon.masters()
	hosts, err := r.Hosts.ResolveHosts(ctx, in.Hosts)
	if err != nil {
		return "", err
	}
	req := inject.Request{Kind: in.Kind, Hosts: hosts, Params: in.Params, TTL: in.TTL, IKnow: in.IKnow}
	preview, err := r.Faults.Preview(ctx, req)
	if err != nil {
		return "", fmt.Errorf("plan %s on %s: %w", in.Kind, strings.Join(hosts, ", "), err)
	}
	if preview.Majority && !in.IKnow {
		return "", fmt.Errorf("refused: the fault %s; add \"i-know: true\" to the step to allow it", preview.BlastRadius)
	}
	if r.ConfirmInject != nil {
		ok, err := r.ConfirmInject(ctx, preview)
		if err != nil {
			return "", fmt.Errorf("confirm %s: %w", in.Kind, err)
		}
		if !ok {
			return "", fmt.Errorf("the operator declined %s on %s", in.Kind, strings.Join(hosts, ", "))
		}
	}
	r.mu.Lock()
	r.masterB = masters
	r.mu.Unlock()
	// Arming runs to its end even when the run is interrupted meanwhile,
	// so that the fault's ID is known and the rollback can revert it. It
	// arms the plan previewed — the one the operator confirmed — or
	// nothing when planning again gives another.
	armed, err := r.Faults.ArmPlan(context.WithoutCancel(ctx), preview)
	if armed.ID != "" {
		r.mu.Lock()
		r.faults = append(r.faults, armedFault{name: in.Name, id: armed.ID})
		r.mu.Unlock()
	}
	if err != nil {
		return "", fmt.Errorf("arm %s on %s: %w", in.Kind, strings.Join(hosts, ", "), err)
	}
	return fmt.Sprintf("armed %s on %s (fault %s)", in.Kind, strings.Join(hosts, ", "), armed.ID), ctx.Err()
}

// revert reverts the fault of a named inject step, or all of this run's.
func (r *Runner) revert(ctx context.Context, name string) (string, error) {
	// Reverting is never cut short by an interrupt: the rollback would
	// only have to do it again.
	rctx := context.WithoutCancel(ctx)
	if name == RevertAll {
		return "every fault of this run reverted", r.revertAll(rctx, "revert")
	}
	var ids []string
	for _, f := range r.armedFaults() {
		if f.name == name && !f.reverted {
			ids = append(ids, f.id)
		}
	}
	if len(ids) == 0 {
		return "nothing to revert: " + name + " is not armed", nil
	}
	for _, id := range ids {
		if err := r.revertOne(rctx, id); err != nil {
			return "", err
		}
	}
	return "reverted fault " + strings.Join(ids, ", "), nil
}
