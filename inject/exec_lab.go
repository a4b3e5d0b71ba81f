package inject

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// LabController is the lab's control API as inject uses it: actions run
// synchronously and fail loudly; guards are held by the lab process, which
// runs their actions when the TTL runs out, whoever armed them.
type LabController interface {
	// Do runs steps in order; unless keepGoing the first failure stops it.
	Do(ctx context.Context, keepGoing bool, steps ...LabStep) error
	// ArmGuard has the lab run steps after ttl unless cancelled.
	ArmGuard(ctx context.Context, id string, ttl time.Duration, steps ...LabStep) error
	// CancelGuard drops a guard; an unknown id is not an error.
	CancelGuard(ctx context.Context, id string) error
	// ArmFlap has the lab toggle a fault (flap.Inject to cut, steps to
	// heal) until ttl, then run steps; StopFlap ends the toggling, healed,
	// and returns once no toggle runs (an unknown id is not an error).
	ArmFlap(ctx context.Context, id string, ttl time.Duration, flap LabFlap, steps ...LabStep) error
	StopFlap(ctx context.Context, id string) error
}

// LabFlap is a flap as a lab guard runs it: Inject cuts (and checks the
// cut in place), the guard's steps heal (and check it gone).
type LabFlap struct {
	Cut    time.Duration `json:"cut"`
	Heal   time.Duration `json:"heal"`
	Inject []LabStep     `json:"inject"`
}

// errNoLab is what lab plans meet when the inventory names no control API.
var errNoLab = errors.New("the inventory does not describe a running lab (no lab.control): start it with `gameday lab up`")

// labExecutor drives lab nodes through the lab's control API; the few
// steps that are scripts (a disk-fill on a node's data dir) run on this
// machine, where every lab node lives. The lab process holds the guards.
type labExecutor struct {
	lab     LabController // nil: no lab to reach
	control string        // the control API's address
	dir     string        // where the lab records the guards it fired
	local   Runner
	// lab is the lab process that armed (or arms) the fault; zero for a
	// ledger entry written before gameday recorded it.
	id proc.ID
	// notes holds, by host, why a step found nothing to do: the lab is
	// gone (RevertNote).
	notes *sync.Map
}

func init() {
	registerExecutor(executorDef{
		name:   "lab",
		order:  10,
		reach:  "through the lab control API",
		serves: func(h targets.Host) bool { return h.Lab != nil },
		flaps:  true,
		open: func(env *execEnv, via map[string]string) (Executor, error) {
			x := labExecutor{local: LocalRunner{}, notes: &sync.Map{}}
			if via == nil {
				// Planning: the inventory's lab, as it runs now.
				if l := env.inv.Lab; l != nil && l.Control != "" {
					x.control, x.dir, x.lab = l.Control, l.Dir, defaultLab(env.inv)
					id, _, err := labapi.Running(l.Dir)
					if err != nil {
						return nil, err
					}
					x.id = id
				}
				return x, nil
			}
			if via["lab"] != "" {
				id, err := parseLabID(via["lab"])
				if err != nil {
					return nil, err
				}
				x.id = id
			}
			if l := env.inv.Lab; l != nil && l.Control != "" && via["control"] == l.Control && via["dir"] == l.Dir {
				x.control, x.dir, x.lab = l.Control, l.Dir, defaultLab(env.inv)
			} else if via["control"] != "" {
				// A fault armed with another inventory's lab: that lab.
				x.control, x.dir, x.lab = via["control"], via["dir"], NewLabController(via["control"], via["dir"])
			}
			return x, nil
		},
	})
}

// labAction is a lab step as the ledger and the plan carry it: one lab
// control action, or the guard's arm and cancel.
type labAction struct {
	LabStep
	GuardID string        `json:"guard_id,omitempty"`
	TTL     time.Duration `json:"ttl,omitempty"`
	Steps   []LabStep     `json:"steps,omitempty"`
	Flap    *LabFlap      `json:"flap,omitempty"`
}

// Lab executor pseudo-ops for its guard.
const (
	labGuardArm    LabOp = "guard-arm"
	labGuardCancel LabOp = "guard-cancel"
	labFlapWait    LabOp = "flap-wait" // wait for the guard's first verified cut
	labFlapStop    LabOp = "flap-stop" // end the guard's toggling, healed
)

// Via names the lab's control API, its directory and the lab process
// ("PID START", as its pidfile says): a revert acts on that lab or on none.
func (x labExecutor) Via() map[string]string {
	if x.control == "" {
		return nil
	}
	via := map[string]string{"control": x.control, "dir": x.dir}
	if x.id.PID != 0 {
		via["lab"] = fmt.Sprintf("%d %d", x.id.PID, x.id.Start)
	}
	return via
}

// parseLabID reads a lab process as Via records it.
func parseLabID(s string) (proc.ID, error) {
	var id proc.ID
	if n, err := fmt.Sscanf(s, "%d %d", &id.PID, &id.Start); err != nil || n != 2 || id.PID <= 0 {
		return proc.ID{}, fmt.Errorf("the ledger names the lab %q, not a pid and a start time", oneLine(s))
	}
	return id, nil
}

// labSteps turns a lab plan's steps into plan steps.
func labSteps(in []LabStep) []Step {
	out := make([]Step, 0, len(in))
	for _, s := range in {
		if s.Op == LabShell {
			out = append(out, Step{Name: "on this machine, for lab node " + s.Node, Script: s.Script})
			continue
		}
		out = append(out, labStep(labAction{LabStep: s}))
	}
	return out
}

func labStep(a labAction) Step {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err) // plain fields only
	}
	name := a.LabStep.String()
	switch a.Op {
	case labGuardArm:
		var rs []string
		for _, s := range a.Steps {
			rs = append(rs, s.String())
		}
		name = fmt.Sprintf("lab guard %s: after %s run %v", a.GuardID, a.TTL, rs)
		if f := a.Flap; f != nil {
			var cs []string
			for _, s := range f.Inject {
				cs = append(cs, s.String())
			}
			name = fmt.Sprintf("lab guard %s: flap %s/%s — cut %v, heal %v — until %s, then run %v", a.GuardID, f.Cut, f.Heal, cs, rs, a.TTL, rs)
		}
	case labFlapWait:
		name = "lab guard " + a.GuardID + ": wait for its first verified cut"
	case labFlapStop:
		name = "lab guard " + a.GuardID + ": stop the flap (healed; the guard then only waits for its TTL)"
	case labGuardCancel:
		name = "lab guard " + a.GuardID + ": cancel"
	}
	return Step{Name: name, Action: b}
}

// Plan is the kind's lab plan.
func (labExecutor) Plan(_ context.Context, f Fault, t PlanTarget) (Steps, error) {
	lp, err := f.LabPlan(t)
	if err != nil {
		return Steps{}, err
	}
	var verify, gone []LabStep
	for _, s := range lp.Inject {
		if s.Op != LabShell {
			verify = append(verify, LabStep{Op: LabCheck, Node: s.Node, Check: &s})
			gone = append(gone, LabStep{Op: LabCheck, Node: s.Node, Check: &s, Gone: true})
		}
	}
	for _, s := range lp.Revert {
		if s.Op == LabRemoveFile {
			// The filler a shell step made: gone once the file is.
			gone = append(gone, LabStep{Op: LabCheck, Node: s.Node, Check: &s, Gone: true})
		}
	}
	return Steps{Inject: labSteps(lp.Inject), Verify: labSteps(verify), Revert: labSteps(lp.Revert), VerifyGone: labSteps(gone)}, nil
}

// labGuardID names a fault's guard in the lab, which holds every node's.
func labGuardID(g Guard) string { return g.Fault + "-" + g.Host }

// Guard has the lab run the revert actions it can run itself (scripts
// only inject runs), then the verify-gone checks, when the TTL is out: the
// lab records each one's result, which GuardOutcome reads.
func (labExecutor) Guard(g Guard) (start, cancel Step) {
	id := labGuardID(g)
	arm := labAction{LabStep: LabStep{Op: labGuardArm}, GuardID: id, TTL: g.TTL, Steps: labActions(g.Revert, g.VerifyGone)}
	if g.Flap != nil {
		arm.Flap = &LabFlap{Cut: g.Flap.Cut, Heal: g.Flap.Heal, Inject: labActions(g.Inject, g.Verify)}
	}
	return labStep(arm), labStep(labAction{LabStep: LabStep{Op: labGuardCancel}, GuardID: id})
}

// labActions are the lab actions of steps (scripts left out: the lab
// runs none).
func labActions(steps ...[]Step) []LabStep {
	var out []LabStep
	for _, s := range slices.Concat(steps...) {
		var a labAction
		if len(s.Action) > 0 && json.Unmarshal(s.Action, &a) == nil {
			out = append(out, a.LabStep)
		}
	}
	return out
}

// FlapSteps wait for the lab guard's first verified cut and stop its
// toggling.
func (labExecutor) FlapSteps(g Guard) (started, stop Step) {
	id := labGuardID(g)
	return labStep(labAction{LabStep: LabStep{Op: labFlapWait}, GuardID: id}), labStep(labAction{LabStep: LabStep{Op: labFlapStop}, GuardID: id})
}

// Toggles reads the guard's toggles from the lab's flap log.
func (x labExecutor) Toggles(_ context.Context, _ targets.Host, g Guard) ([]Toggle, error) {
	ts, err := labapi.ReadToggles(x.dir, labGuardID(g))
	if err != nil {
		return nil, err
	}
	out := make([]Toggle, len(ts))
	for i, t := range ts {
		out[i] = Toggle{N: t.N, State: t.State, At: t.At, Why: oneLine(t.Why)}
	}
	return out, nil
}

// waitFirstCut waits (at most 45 s) for the guard's first logged toggle:
// nil for a verified cut, the failure otherwise.
func (x labExecutor) waitFirstCut(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		ts, err := labapi.ReadToggles(x.dir, id)
		if err != nil {
			return err
		}
		if len(ts) > 0 {
			if ts[0].State == ToggleCut {
				return nil
			}
			return fmt.Errorf("the first cut did not verify: %s", oneLine(ts[0].Why))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the lab guard %s logged no cut within 45s", id)
		case <-t.C:
		}
	}
}

// Run runs a script on this machine or an action through the lab.
func (x labExecutor) Run(ctx context.Context, h targets.Host, s Step) error {
	if len(s.Action) == 0 {
		res, err := x.local.Run(ctx, h, s.Script)
		return scriptErr(h, s, res, err)
	}
	var a labAction
	if err := json.Unmarshal(s.Action, &a); err != nil {
		return fmt.Errorf("host %s: %s: %w", h.Name, s.Name, err)
	}
	// A lab that does not answer may be gone, and with it its faults.
	unreachable := func(err error) error {
		gone, pid, why := x.gone()
		if !gone {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		if err := x.afterLab(ctx, a, pid, why); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		x.notes.Store(h.Name, why)
		return nil
	}
	if x.lab == nil {
		return unreachable(errNoLab)
	}
	// The lab that answers at the control address, or runs from the dir,
	// may be a later one with the same host names: act only on the lab
	// that armed the fault.
	if gone, pid, why := x.gone(); gone && x.id.PID != 0 {
		if err := x.afterLab(ctx, a, pid, why); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		x.notes.Store(h.Name, why)
		return nil
	}
	var err error
	switch a.Op {
	case labGuardArm:
		if a.Flap != nil {
			err = x.lab.ArmFlap(ctx, a.GuardID, a.TTL, *a.Flap, a.Steps...)
		} else {
			err = x.lab.ArmGuard(ctx, a.GuardID, a.TTL, a.Steps...)
		}
		if err != nil {
			err = fmt.Errorf("arm the lab guard: %w", err)
		}
	case labFlapWait:
		err = x.waitFirstCut(ctx, a.GuardID)
	case labFlapStop:
		if err = x.lab.StopFlap(ctx, a.GuardID); err != nil {
			err = fmt.Errorf("stop the lab guard's flap: %w", err)
		}
	case labGuardCancel:
		if err = x.lab.CancelGuard(ctx, a.GuardID); err != nil {
			err = fmt.Errorf("cancel the lab guard: %w", err)
		}
	default:
		err = x.lab.Do(ctx, false, a.LabStep)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return unreachable(err)
	}
	if err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	return nil
}

// gone tells whether the lab that armed the fault is gone (stopped, or
// died: pid), and says so in words.
func (x labExecutor) gone() (bool, int, string) {
	if x.id.PID != 0 {
		if x.id.Running() {
			return false, 0, ""
		}
		why := fmt.Sprintf("the lab that armed it is gone (pid %d no longer runs; its nodes died with it)", x.id.PID)
		if now, ok, _ := labapi.Running(x.dir); ok {
			why += fmt.Sprintf("; the lab now running from %s (pid %d) is another one, left untouched", x.dir, now.PID)
		}
		return true, x.id.PID, why
	}
	if x.dir == "" {
		return false, 0, ""
	}
	gone, pid, err := labapi.Gone(x.dir)
	switch {
	case err != nil || !gone:
		return false, 0, ""
	case pid != 0:
		return true, pid, fmt.Sprintf("the lab that armed it is gone (pid %d no longer runs; its nodes died with it)", pid)
	}
	return true, 0, "the lab that armed it was stopped (its nodes went with it)"
}

// undoes tells a revert action from an inject action.
func undoes(s LabStep) bool {
	switch s.Op {
	case LabHeal, LabStart, LabToxicRemove, LabRemoveFile:
		return true
	case LabSignal:
		return strings.EqualFold(strings.TrimPrefix(strings.ToUpper(s.Signal), "SIG"), "CONT")
	case LabFaketime:
		o := strings.TrimSpace(s.Offset)
		return o == "+0" || o == "0" || o == "-0" || o == "0s"
	}
	return false
}

// afterLab runs action a against a lab that is gone: what it would revert
// went with the lab, except a filler file, which this machine removes; a
// gone check passes once no firewall chain of the dead lab (pid) is left
// (a lab up or down sweeps them); anything else fails, saying why.
func (x labExecutor) afterLab(ctx context.Context, a labAction, pid int, why string) error {
	path := func(p string) (string, error) {
		rel, err := filepath.Rel(x.dir, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return "", fmt.Errorf("%s is outside the lab dir %s", p, x.dir)
		}
		return p, nil
	}
	switch {
	case a.Op == labGuardCancel, a.Op == labFlapStop:
		return nil
	case a.Op == LabRemoveFile:
		p, err := path(a.Path)
		if err != nil {
			return err
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s; remove its filler: %w", why, err)
		}
		return nil
	case undoes(a.LabStep):
		return nil
	case a.Op == LabCheck && a.Gone && a.Check != nil && a.Check.Op == LabRemoveFile:
		if _, err := os.Stat(a.Check.Path); err == nil {
			return fmt.Errorf("%s, but its filler %s is still there", why, a.Check.Path)
		}
		return nil
	case a.Op == LabCheck && a.Gone:
		if pid == 0 {
			return nil // a lab that stopped removed its own chains
		}
		rules, err := iptablesSave(ctx)
		if err != nil {
			return fmt.Errorf("%s; cannot list iptables to check for its firewall chains: %w", why, err)
		}
		if chain := "GAMEDAY-LAB-" + strconv.Itoa(pid); strings.Contains(rules, ":"+chain+" ") || strings.Contains(rules, ":"+chain+"-O ") {
			return fmt.Errorf("%s, but its firewall chain %s is left: `gameday lab down --dir %s` removes it", why, chain, x.dir)
		}
		return nil
	}
	return errors.New(why)
}

// iptablesSave lists this machine's iptables rules (a test replaces it to
// look into a namespace of its own).
var iptablesSave = func(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "iptables-save").Output()
	return string(out), err
}

// RevertNote says why host's revert had nothing to do: the lab that armed
// it is gone.
func (x labExecutor) RevertNote(host string) string {
	if why, ok := x.notes.LoadAndDelete(host); ok {
		return why.(string)
	}
	return ""
}

// StepBound is the lab's own bound on a JVM node's start
// (labapi.JVMStartBound) for a start of a node that may be a JVM (a Kafka
// broker, a Cassandra node, a node of unknown kind): the lab answers once
// the node is ready or that bound has passed. Every other step is quick.
func (labExecutor) StepBound(h targets.Host, s Step) time.Duration {
	var a labAction
	if len(s.Action) == 0 || json.Unmarshal(s.Action, &a) != nil || a.Op != LabStart {
		return 0
	}
	if h.Lab != nil && (h.Lab.Kind == labapi.KindRedis || h.Lab.Kind == labapi.KindSentinel) {
		return 0
	}
	return labapi.JVMStartBound
}

// GuardOutcome reads the guard's record in the lab's guards-fired.jsonl.
func (x labExecutor) GuardOutcome(_ context.Context, _ targets.Host, g Guard) (GuardOutcome, error) {
	fired, err := labFired(x.dir)
	if err != nil {
		return GuardOutcome{}, err
	}
	f, ok := fired[labGuardID(g)]
	if !ok {
		return GuardOutcome{}, nil
	}
	o := GuardOutcome{Fired: true}
	for _, r := range f.Results {
		// Only a guard that ran the checks verified anything (guards an
		// older gameday armed ran the reverts alone).
		o.Verified = o.Verified || r.Action.Op == labapi.OpCheck
	}
	if !o.Verified {
		o.Why = "the lab's guard did not verify its revert"
	}
	for _, r := range f.Results {
		if !r.OK {
			o.Verified = false
			if o.Why == "" {
				o.Why = oneLine(r.Error)
			}
		}
	}
	return o, nil
}

// labFired reads the guards the lab in dir has fired, by id, from
// the lab's fired-guards file in dir.
func labFired(dir string) (map[string]labapi.FiredGuard, error) {
	out := map[string]labapi.FiredGuard{}
	if dir == "" {
		return out, nil
	}
	f, err := os.Open(filepath.Join(dir, labapi.FiredFile))
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		var g labapi.FiredGuard
		if json.Unmarshal(sc.Bytes(), &g) == nil && g.ID != "" {
			out[g.ID] = g
		}
	}
	return out, sc.Err()
}
