// Package inject knows how to break and unbreak things: a registry of fault
// kinds, executors that run their plans (SSH, lab, dry-run), a durable ledger
// written before any fault runs, and time-to-live guards on the hosts.
package inject

import (
	"errors"
	"time"
)

// ParamInfo describes one parameter of a fault kind, for forms and help.
type ParamInfo struct {
	Name    string // "delay"
	Default string // "500ms"
	Help    string // "added one-way delay"
}

// KindInfo describes a registered fault kind.
type KindInfo struct {
	Name   string // "latency"
	Help   string // one line
	Params []ParamInfo
}

// Request asks for one fault on one or more hosts.
type Request struct {
	Kind   string
	Hosts  []string          // inventory host names or selectors (tag:x, role:x)
	Params map[string]string // kind-specific, validated by the kind
	TTL    time.Duration     // 0 means the default (10 min); never unlimited
	// IKnow confirms a fault whose blast radius takes down a majority of a
	// service's nodes.
	IKnow bool
	// By names who asks (a person of a shared session; "" when unknown).
	// The ledger keeps it and every fault event it causes carries it.
	By string
}

// HostPlan is the exact plan for one host, as shown before arming.
type HostPlan struct {
	Host string
	// Executor names what carries the plan to the host ("ssh", "lab") and
	// Reach says how, in words ("over SSH (sh, under sudo when not root)").
	Executor, Reach string
	// Detect steps run first and change nothing.
	Detect []string
	// Guard starts the TTL guard, before any inject step.
	Guard  []string
	Inject []string // each step as the operator would read it
	Verify []string
	Revert []string
	// VerifyGone checks after a revert that the fault is really gone.
	VerifyGone []string
}

// Preview is what confirming a Request shows: the plan per host and the
// blast-radius verdict. ArmPlan arms exactly it: the same fault ID, the
// same commands.
type Preview struct {
	// ID is the fault ID the plan's commands name (chains, state files,
	// guards): the ID ArmPlan arms it under.
	ID string
	// Request is the request with its TTL filled in and its Hosts
	// resolved to host names; Asked holds the hosts as asked (selectors
	// such as role:master), which ArmPlan resolves again.
	Request Request
	Asked   []string
	// Digest sums up everything the plan would run and on what (hosts as
	// the inventory says, executors, every step of every host, TTL,
	// verdict): ArmPlan arms only a plan that sums up the same.
	Digest string
	Hosts  []HostPlan
	// BlastRadius is a one-line verdict ("takes down 2 of 3 cassandra nodes:
	// a majority") and Majority tells whether IKnow is required.
	BlastRadius string
	Majority    bool
}

// State is where a fault is in its life.
type State string

// Fault states, as the ledger records them.
const (
	StateArming    State = "arming"
	StateArmed     State = "armed"
	StateReverting State = "reverting"
	StateReverted  State = "reverted"
	StateExpired   State = "expired"
	// StateExpiredFailed is a fault whose guards fired but which did not
	// verify gone: it may still be in place.
	StateExpiredFailed State = "expired, revert failed"
	StateFailed        State = "failed"
	// StateGone is a fault whose every host went with the lab that armed
	// it (the lab stopped or died): nothing was left to revert, and
	// nothing was reverted.
	StateGone State = "gone"
)

// Armed is a fault as the ledger knows it.
type Armed struct {
	ID       string
	Request  Request
	State    State
	ArmedAt  time.Time
	Deadline time.Time // ArmedAt + TTL: when the host's guard reverts it
	// Session identifies the gameday process that armed it; faults of a dead
	// session are offered for revert on start.
	Session string
	// PerHost reports each host's last step result ("armed", "reverted",
	// "verify: rule still present", …).
	PerHost map[string]string
	// Liveness tells whether Session's process still runs.
	Liveness SessionState
	// RevertedBy names who reverted it (Request.By: who armed it).
	RevertedBy string
	// Error is why arming or reverting failed, when State is failed, or
	// why the guards' revert did not verify (expired, revert failed).
	Error string
	// Active tells whether the fault may still be in place somewhere; its
	// guards are then still the safety net, unless they fired already
	// (expired, revert failed).
	Active bool
}

// ErrPlanChanged is what ArmPlan returns (as a *PlanChangedError) when the
// plan it would arm now differs from the one previewed.
var ErrPlanChanged = errors.New("the plan changed since it was shown")

// PlanChangedError carries the plan as it is now: show it and, once
// confirmed, arm it with ArmPlan.
type PlanChangedError struct {
	Now Preview
}

// Error says that the plan changed and what to do.
func (e *PlanChangedError) Error() string {
	return "the plan of fault " + e.Now.ID + " changed since it was shown (hosts, roles or commands): confirm the new plan"
}

// Unwrap makes it match ErrPlanChanged.
func (e *PlanChangedError) Unwrap() error { return ErrPlanChanged }

// ErrNeedsConfirm is returned by Arm when the blast radius needs IKnow.
var ErrNeedsConfirm = errors.New("fault takes down a majority of a service's nodes; confirm with --i-know")

// blastError is the refusal of a fault with a majority blast radius; it
// names the service and the counts and matches ErrNeedsConfirm.
type blastError struct{ verdict string }

// Error names the service, the counts and the way to confirm.
func (e *blastError) Error() string {
	return "refused: the fault " + e.verdict + "; confirm with --i-know"
}

// Unwrap makes the refusal match ErrNeedsConfirm.
func (e *blastError) Unwrap() error { return ErrNeedsConfirm }
