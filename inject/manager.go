// Package inject knows how to break and unbreak things: a registry of fault
// kinds, executors that run their plans (SSH, lab, dry-run), a durable ledger
// written before any fault runs, and time-to-live guards on the hosts.
package inject

import (
	"context"
	"errors"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
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
	Hosts  []string          // inventory host names
	Params map[string]string // kind-specific, validated by the kind
	TTL    time.Duration     // 0 means the default (10 min); never unlimited
	// IKnow confirms a fault whose blast radius takes down a majority of a
	// service's nodes.
	IKnow bool
}

// HostPlan is the exact plan for one host, as shown before arming.
type HostPlan struct {
	Host   string
	Inject []string // each step as the operator would read it
	Verify []string
	Revert []string
}

// Preview is what confirming a Request shows: the plan per host and the
// blast-radius verdict.
type Preview struct {
	Request Request
	Hosts   []HostPlan
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
	StateFailed    State = "failed"
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
}

// ErrNeedsConfirm is returned by Arm when the blast radius needs IKnow.
var ErrNeedsConfirm = errors.New("fault takes down a majority of a service's nodes; confirm with --i-know")

// Manager arms and reverts faults for one inventory, writing the ledger
// before any command runs and recording every action on the Recorder.
type Manager struct {
	inv *targets.Inventory
	rec *timeline.Recorder
}

// Kinds lists the registered fault kinds in palette order.
func Kinds() []KindInfo { return nil }

// NewManager returns a Manager for inv that records onto rec and keeps its
// ledger at ledgerPath ("" for the default in the state directory).
func NewManager(inv *targets.Inventory, rec *timeline.Recorder, ledgerPath string) (*Manager, error) {
	return &Manager{inv: inv, rec: rec}, nil
}

// Preview validates req and returns the exact plan per host and the blast
// radius, changing nothing.
func (m *Manager) Preview(ctx context.Context, req Request) (Preview, error) {
	return Preview{}, errors.New("not implemented")
}

// Arm writes the ledger entry, starts the TTL guard on every host, injects,
// verifies and returns the armed fault.
func (m *Manager) Arm(ctx context.Context, req Request) (Armed, error) {
	return Armed{}, errors.New("not implemented")
}

// Revert reverts one fault by ID, verifies it is gone on every host and
// cancels its guards. Reverting a reverted fault is not an error.
func (m *Manager) Revert(ctx context.Context, id string) (Armed, error) {
	return Armed{}, errors.New("not implemented")
}

// RevertAll reverts every fault the ledger lists as not yet reverted,
// including those of dead sessions.
func (m *Manager) RevertAll(ctx context.Context) ([]Armed, error) {
	return nil, errors.New("not implemented")
}

// List returns the ledger's faults, newest last. Active only when
// activeOnly.
func (m *Manager) List(activeOnly bool) ([]Armed, error) { return nil, nil }

// Orphans returns armed faults whose session is not this process's.
func (m *Manager) Orphans() ([]Armed, error) { return nil, nil }

// Close releases pooled connections. It does not revert anything.
func (m *Manager) Close() error { return nil }
