// Package runbooks knows what was planned for a game day: runbook YAML files
// (a hypothesis, steps, abort conditions and a rollback) and the Runner that
// executes them headless or from the TUI.
package runbooks

import (
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
)

// Runbook is a loaded, validated runbook file.
type Runbook struct {
	// Path is the file it was loaded from.
	Path string
	// Name labels the runbook in progress lines, the journal and reports.
	Name string
	// Description says what the game day tests, for humans.
	Description string
	// Hypothesis lists the steady-state conditions that must hold for the
	// whole run, except where a step's allowances excuse them.
	Hypothesis []Condition
	// Abort lists conditions that stop the run at once and roll back.
	Abort []AbortCondition
	// Steps are run in order.
	Steps []Step
	// Rollback steps run after the steps whatever happened (success,
	// deviation, abort, failure, interrupt). Reverting every fault the run
	// armed is always part of it, whether listed or not.
	Rollback []Step
	// Vars are the runbook's variables as this load set them, in the
	// order the file declares them.
	Vars []Var

	// origin says which variables made the value at a position or field
	// (yamldoc.Doc.Origin), for problems found after loading.
	origin func(pos targets.Pos, field string) string
}

// Var is one runbook variable and the value it had for this load.
type Var = yamldoc.Setting

// Condition is one probe condition: "redis.latency p99 < 50ms", optionally
// scoped to one probe target.
type Condition struct {
	Probe  string // "redis.latency"
	Target string // "" for every target of the probe
	Expr   Expr
	Pos    targets.Pos
	// field is the path of this item in the file ("steps[2]"), for
	// problems found after loading.
	field string
}

// String returns the condition as a person would write it.
func (c Condition) String() string {
	s := c.Probe
	if c.Target != "" {
		s += "[" + c.Target + "]"
	}
	return s + " " + c.Expr.String()
}

// AbortCondition stops the run when its condition has been true for at
// least For (0: on the first reading that satisfies it).
type AbortCondition struct {
	Condition
	For time.Duration
}

// String returns the abort condition as written.
func (a AbortCondition) String() string {
	if a.For > 0 {
		return a.Condition.String() + " for " + a.For.String()
	}
	return a.Condition.String()
}

// Action names what a step does.
type Action string

// The step actions a runbook can use.
const (
	ActionWaitSteady Action = "wait-steady"
	ActionInject     Action = "inject"
	ActionHold       Action = "hold"
	ActionRevert     Action = "revert"
	ActionExpect     Action = "expect"
	ActionNote       Action = "note"
)

// Step is one step of a runbook. Exactly one of the action fields is set,
// as Action says.
type Step struct {
	Action Action
	Pos    targets.Pos
	// field is the path of this item in the file ("steps[2]"), for
	// problems found after loading.
	field string

	WaitSteady *WaitSteady
	Inject     *Inject
	Hold       time.Duration
	// Revert names an earlier inject step, or is RevertAll.
	Revert string
	Expect *Expect
	Note   string

	// Allow excuses hypothesis deviations from the start of this step to
	// the end of the run (a fault's effects outlive the step that armed it).
	Allow []Allowance
}

// RevertAll is the revert target that reverts every fault the run armed.
const RevertAll = "all"

// WaitSteady waits until every probe has been ok for For, failing after
// Timeout.
type WaitSteady struct {
	For     time.Duration `yaml:"for"`
	Timeout time.Duration `yaml:"timeout"`
}

// Inject arms one fault. Hosts are inventory host names or selectors
// ("tag:x", "role:x"); "role:master" is resolved when the step runs, from
// the master Sentinel agrees on at that moment.
type Inject struct {
	// Name lets a later revert step refer to this fault.
	Name   string            `yaml:"name"`
	Kind   string            `yaml:"kind"`
	Hosts  []string          `yaml:"hosts" yamldoc:"selector"`
	Params map[string]string `yaml:"params"`
	TTL    time.Duration     `yaml:"ttl"`
	// IKnow confirms a fault that takes down a majority of a service.
	IKnow bool `yaml:"i-know"`

	// hostPos is where each of Hosts is written, for problems found when
	// the runbook is checked against an inventory.
	hostPos []targets.Pos
}

// Expect waits until a probe condition is met, failing after Within.
type Expect struct {
	Condition
	Within time.Duration
}

// Allowance excuses one probe's hypothesis conditions: the probe may
// violate them for a total of at most For, and (for "master: stable") the
// master may change at most Changes times.
type Allowance struct {
	Probe   string        `yaml:"probe"`
	Target  string        `yaml:"target"`
	For     time.Duration `yaml:"for"`
	Changes int           `yaml:"changes"`
	Pos     targets.Pos   `yaml:"-"`
	// field is the path of this item in the file ("steps[2]"), for
	// problems found after loading.
	field string
}
