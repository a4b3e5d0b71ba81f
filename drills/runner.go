package drills

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/faultspec"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Faults is what the Runner needs of inject.Manager: arm and revert one
// fault, through the ledger and with the hosts' TTL guards, as every fault.
type Faults interface {
	Arm(ctx context.Context, req inject.Request) (inject.Armed, error)
	Revert(ctx context.Context, id string) (inject.Armed, error)
}

// Clock is the time the Runner waits on and stamps its events with; tests
// give their own, so that no test waits for minutes.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Runner runs one drill to its end: for each scenario of the plan in turn
// it waits for the picked moment, arms the picked fault through Faults
// (hosts resolved at that moment), keeps it for its Lasts, and reverts it
// — earlier when the trainer confirms a trainee's mitigation (Confirm) or
// the drill is stopped (Run's context). It records every phase on the
// Recorder (drill.* events) and takes the trainees' declarations
// (Diagnose, Mitigated). A Runner runs once.
type Runner struct {
	Drill    *Drill
	Plan     Plan
	Faults   Faults
	Recorder *timeline.Recorder
	Hosts    HostResolver
	// Inv, when set, is what declared hosts are checked against.
	Inv *targets.Inventory
	// IKnow is the trainer's --i-know (see Env.IKnow); Arm refuses a
	// majority without it whatever the file says.
	IKnow bool
	// Trainer names who runs the drill, for drill.start.
	Trainer string
	// Clock defaults to the real one.
	Clock Clock
	// Progress, when set, receives one line per phase, for the trainer.
	Progress func(line string)

	mu       sync.Mutex
	running  bool
	ended    bool
	current  int    // the scenario now running (-1 before the first)
	faultID  string // its fault while armed
	hosts    []string
	kind     string
	mitigate map[string]bool // trainees who declared "mitigated" since it was armed
	confirm  chan ConfirmedData
}

// Result is what a drill run came to.
type Result struct {
	// Reason is "finished", "stopped" or "revert failed".
	Reason string
	// Armed counts the scenarios whose fault was armed.
	Armed int
	// RevertErr is set when a fault could not be reverted: the drill
	// stopped there, and the operator must act (gameday revert --all).
	RevertErr error
}

// Errors a declaration or confirmation may meet.
var (
	ErrNotRunning = errors.New("no drill is running")
	ErrNotArmed   = errors.New("no scenario's fault is armed now, so there is nothing to confirm")
)

func (r *Runner) clock() Clock {
	if r.Clock == nil {
		return realClock{}
	}
	return r.Clock
}

// record stamps e with the runner's clock and records it with data (a
// value: the Recorder keeps its own copy); by is the person who did it
// ("" for the drill itself).
func (r *Runner) record(k timeline.Kind, by string, data any, format string, args ...any) {
	e := timeline.NewEvent(k, "drill", format, args...).WithData(data)
	e.Time, e.By = r.clock().Now(), by
	r.Recorder.Record(e)
}

func (r *Runner) progress(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(fmt.Sprintf(format, args...))
	}
}

// Run executes the plan. Cancelling ctx stops the drill: the armed fault
// is reverted (never cut short) and the drill ends with its reveal. The
// error is for a Runner that cannot start.
func (r *Runner) Run(ctx context.Context) (Result, error) {
	if r.Drill == nil || r.Faults == nil || r.Recorder == nil || r.Hosts == nil || len(r.Plan.Picks) != len(r.Drill.Scenarios) {
		return Result{}, errors.New("drills: Runner needs a Drill, its Plan, Faults, a Recorder and Hosts")
	}
	r.mu.Lock()
	if r.running || r.ended {
		r.mu.Unlock()
		return Result{}, errors.New("drills: a Runner runs once")
	}
	r.running, r.current, r.confirm = true, -1, make(chan ConfirmedData, 1)
	r.mu.Unlock()

	dr := r.Drill
	r.record(KindStart, r.Trainer, StartData{Drill: dr.Name, Briefing: dr.Briefing, Probes: dr.Probes, Scenarios: len(dr.Scenarios), Trainer: r.Trainer},
		"drill %s started: %d scenario(s)", dr.Name, len(dr.Scenarios))
	r.record(KindPlan, "", r.Plan, "drill %s: hidden plan (seed %d)", dr.Name, r.Plan.Seed)

	res := Result{Reason: "finished"}
	for _, pick := range r.Plan.Picks {
		stopped, err := r.scenario(ctx, pick, &res)
		if err != nil {
			res.Reason, res.RevertErr = EndRevertFail, err
			break
		}
		if stopped {
			res.Reason = EndStopped
			break
		}
	}
	r.mu.Lock()
	r.running, r.ended, r.current = false, true, -1
	r.mu.Unlock()
	r.record(KindEnd, "", EndData{Drill: dr.Name, Reason: res.Reason, Plan: r.Plan}, "drill %s ended (%s): the plan is revealed", dr.Name, res.Reason)
	r.progress("drill %s ended: %s", dr.Name, res.Reason)
	return res, nil
}

// scenario runs one pick; stopped tells that ctx ended the drill, and the
// error is a fault that could not be reverted.
func (r *Runner) scenario(ctx context.Context, pick Pick, res *Result) (stopped bool, err error) {
	label := pick.Label()
	sd := ScenarioData{Scenario: pick.Scenario, Name: pick.Name}
	r.mu.Lock()
	r.current, r.faultID, r.mitigate = pick.Scenario, "", map[string]bool{}
	r.mu.Unlock()
	sd.Phase = PhaseBegin
	r.record(KindScenario, "", sd, "%s begins", label)
	r.progress("%s: %s in %s", label, pick.Fault(), pick.ArmAfter.D())

	select {
	case <-ctx.Done():
		r.endScenario(sd, EndStopped, "")
		return true, nil
	case <-r.clock().After(pick.ArmAfter.D()):
	}

	// Arming is never cut short: a fault being armed finishes arming, so
	// that its ID is known and it can be reverted.
	actx := context.WithoutCancel(ctx)
	hosts, err := r.Hosts.ResolveHosts(actx, pick.Hosts)
	var armed inject.Armed
	if err == nil {
		armed, err = r.Faults.Arm(actx, inject.Request{Kind: pick.Kind, Hosts: hosts, Params: pick.Params, TTL: pick.TTL.D(), IKnow: pick.IKnow && r.IKnow})
	}
	if err != nil {
		sd.Phase, sd.Kind, sd.Hosts, sd.Error = PhaseFailed, pick.Kind, hosts, err.Error()
		r.record(KindScenario, "", sd, "%s: %s could not be armed: %v", label, pick.Fault(), err)
		r.progress("%s: not armed: %v", label, err)
		sd.Error = ""
		r.endScenario(sd, EndNotArmed, "")
		return ctx.Err() != nil, nil
	}
	res.Armed++
	sd.Phase, sd.FaultID, sd.Kind, sd.Hosts, sd.Params = PhaseArmed, armed.ID, armed.Request.Kind, armed.Request.Hosts, armed.Request.Params
	r.mu.Lock()
	r.faultID, r.kind, r.hosts = armed.ID, sd.Kind, sd.Hosts
	r.mu.Unlock()
	r.record(KindScenario, "", sd, "%s: %s armed (fault %s)", label, describeFault(sd.Kind, sd.Hosts, sd.Params), armed.ID)
	r.progress("%s: armed %s (fault %s)", label, describeFault(sd.Kind, sd.Hosts, sd.Params), armed.ID)

	reason := EndTimeUp
	select {
	case <-ctx.Done():
		reason, stopped = EndStopped, true
	case c := <-r.confirm:
		reason = EndMitigated + " by " + c.Person
	case <-r.clock().After(pick.Lasts.D()):
	}
	r.mu.Lock()
	r.faultID = "" // no confirmation from here on
	select {
	case c := <-r.confirm:
		// Confirmed (and recorded) as time ran out or the drill stopped:
		// the trainee's mitigation counts.
		reason = EndMitigated + " by " + c.Person
	default:
	}
	r.mu.Unlock()
	if _, err := r.Faults.Revert(actx, armed.ID); err != nil {
		r.endScenario(sd, EndRevertFail, err.Error())
		r.progress("%s: could not revert fault %s: %v", label, armed.ID, err)
		return stopped, fmt.Errorf("revert %s: %w", armed.ID, err)
	}
	r.endScenario(sd, reason, "")
	r.progress("%s: ended (%s)", label, reason)
	return stopped, nil
}

func (r *Runner) endScenario(sd ScenarioData, reason, errText string) {
	sd.Phase, sd.Reason, sd.Error = PhaseEnd, reason, errText
	r.record(KindScenario, "", sd, "%s ended: %s", scenarioLabel(sd.Scenario, sd.Name), reason)
}

// Diagnose records a trainee's diagnosis: the hosts and the fault kind
// they believe are at fault (either may be left out, not both), with
// free text. Hosts must be inventory hosts and the kind a registered
// fault kind (the full list, never the drill's candidates: that would
// leak them).
func (r *Runner) Diagnose(person string, hosts []string, kind, text string) error {
	if err := r.declaring(person); err != nil {
		return err
	}
	if len(hosts) == 0 && kind == "" {
		return errors.New("a diagnosis names the host(s), the fault kind, or both")
	}
	if kinds := faultspec.KindNames(); kind != "" && !slices.Contains(kinds, kind) {
		return fmt.Errorf("%q is not a fault kind%s (kinds: %s)", kind, yamldoc.DidYouMean(kind, kinds), strings.Join(kinds, ", "))
	}
	if r.Inv != nil {
		for _, h := range hosts {
			if _, ok := r.Inv.Host(h); ok {
				continue
			}
			// Select words an unknown name with a did-you-mean.
			if _, err := r.Inv.Select(h); err != nil {
				return err
			}
			return fmt.Errorf("%q is not a host name: name the hosts themselves", h)
		}
	}
	what := strings.TrimSpace(strings.Join(hosts, ", ") + " " + kind)
	r.record(KindDiagnosis, person, DiagnosisData{Person: person, Hosts: hosts, Kind: kind, Text: text}, "%s diagnoses: %s", person, what)
	return nil
}

// Mitigated records a trainee's "mitigated", with the action they took.
func (r *Runner) Mitigated(person, action string) error {
	if err := r.declaring(person); err != nil {
		return err
	}
	r.mu.Lock()
	if r.faultID != "" {
		r.mitigate[person] = true
	}
	r.mu.Unlock()
	summary := person + " declares the incident mitigated"
	if action != "" {
		summary += ": " + action
	}
	r.record(KindMitigated, person, MitigatedData{Person: person, Action: action}, "%s", summary)
	return nil
}

func (r *Runner) declaring(person string) error {
	if person == "" {
		return errors.New("a declaration needs the trainee's name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return ErrNotRunning
	}
	return nil
}

// Confirm is the trainer's confirmation that trainee's declared
// mitigation worked: it ends the current scenario, whose fault the runner
// then reverts. The trainee must have declared "mitigated" since the
// fault was armed.
func (r *Runner) Confirm(trainer, trainee string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.running:
		return ErrNotRunning
	case r.faultID == "":
		return ErrNotArmed
	case !r.mitigate[trainee]:
		return fmt.Errorf("%s has not declared a mitigation since the fault of %s was armed", trainee, scenarioLabel(r.current, r.Drill.Scenarios[r.current].Name))
	}
	c := ConfirmedData{Person: trainee, By: trainer, Scenario: r.current, FaultID: r.faultID}
	select {
	case r.confirm <- c:
	default:
		return errors.New("a mitigation of this scenario is already confirmed")
	}
	// Recorded under the lock, so that it precedes the scenario's end.
	r.record(KindConfirmed, trainer, c, "%s confirms %s's mitigation of %s", trainer, trainee, scenarioLabel(r.current, r.Drill.Scenarios[r.current].Name))
	return nil
}

// Scenario is the index of the scenario running now (-1 when none) and
// whether its fault is armed: what a trainer's screen shows beside the
// plan.
func (r *Runner) Scenario() (index int, armed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current, r.faultID != ""
}
