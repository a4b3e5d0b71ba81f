package inject

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// Executor carries faults to one kind of host: a shell over SSH, the local
// lab's control API, and whatever backend comes next. The Manager picks one
// per host when it plans (the first registered executor that serves the
// host) and records its name and Via in the host's ledger entry, so that a
// later process — without the inventory — reverts through the same one.
//
// A new backend is one file: a type implementing Executor and an init that
// calls registerExecutor.
type Executor interface {
	// Via is what a later process needs, besides the host itself, to reach
	// the host this way (the lab's control address and directory); it is
	// recorded in the ledger with every host entry. Never secrets.
	Via() map[string]string
	// Plan returns fault f's steps for t.Host in this executor's terms. It
	// may ask the host (the SSH executor learns gameday's own connection
	// for a partition that must spare it), never change it.
	Plan(ctx context.Context, f Fault, t PlanTarget) (Steps, error)
	// Guard returns the steps that start and cancel g's TTL guard. The
	// started guard runs g.Revert, then g.VerifyGone, when g.TTL runs out
	// (even if gameday is gone) and records which way it went.
	Guard(g Guard) (start, cancel Step)
	// Run runs one step on h. A step that fails is an error of one
	// sentence naming the host.
	Run(ctx context.Context, h targets.Host, s Step) error
	// GuardOutcome reads what g's guard did on h.
	GuardOutcome(ctx context.Context, h targets.Host, g Guard) (GuardOutcome, error)
}

// noter is an executor with a word to add to a host's "reverted" status:
// why its revert had nothing to do (the lab that armed it is gone).
type noter interface{ RevertNote(host string) string }

// Steps is one host's plan as its executor runs it. Detect runs first and
// changes nothing; Verify and VerifyGone pass when the fault is in place
// and gone; Revert steps are idempotent.
type Steps struct {
	Detect     []Step `json:"detect,omitempty"`
	Inject     []Step `json:"inject"`
	Verify     []Step `json:"verify,omitempty"`
	Revert     []Step `json:"revert"`
	VerifyGone []Step `json:"verify_gone,omitempty"`
}

// Step is one step of a plan: a shell script (Script), or, for an executor
// that does not run shell, an action in that executor's own JSON (Action).
// Scripts are built only from constant text and arguments passed through
// Quote.
type Step struct {
	Name   string `json:"name"`
	Script string `json:"script,omitempty"`
	// Fail, when set, is the sentence reported when the script exits
	// non-zero (%s is replaced by the step's first line of stderr).
	Fail string `json:"fail,omitempty"`
	// Action is a non-shell step; Name then renders it for people.
	Action json.RawMessage `json:"action,omitempty"`
}

// String renders the step as the plan shows it: a script under its name,
// an action as its name.
func (s Step) String() string {
	if len(s.Action) > 0 {
		return s.Name
	}
	return "# " + s.Name + "\n" + s.Script
}

// Guard is a fault's TTL guard on one host.
type Guard struct {
	Fault string // fault ID
	Host  string // host name
	TTL   time.Duration
	// Revert and VerifyGone are the host's steps the guard runs.
	Revert, VerifyGone []Step
	// Flap, when set, has the guard toggle the fault on that schedule
	// until the TTL (or a stop), with Inject and Verify to cut and Revert
	// and VerifyGone to heal; at the TTL it heals as any guard does.
	Flap           *Flap
	Inject, Verify []Step
}

// GuardOutcome is what a guard did.
type GuardOutcome struct {
	// Fired is set once the guard's TTL ran out and it ran the reverts.
	Fired bool
	// Verified is set when, after the reverts, the fault verified gone.
	Verified bool
	// Why says why a fired guard did not verify.
	Why string
}

// executorDef is a registered executor.
type executorDef struct {
	// name is the executor's name in the ledger.
	name string
	// order ranks executors when several serve a host (lowest first).
	order int
	// reach says how the executor reaches a host, for the dry run.
	reach string
	// serves reports whether the executor takes host h (at plan time).
	serves func(h targets.Host) bool
	// flaps is set for an executor whose guards can flap a fault (it
	// implements flapper).
	flaps bool
	// open returns the executor that reaches what via names (nil via: the
	// Manager's own inventory).
	open func(env *execEnv, via map[string]string) (Executor, error)
}

// execEnv is what executors take from the Manager that opens them.
type execEnv struct {
	inv *targets.Inventory
	// runner is the SSH hosts' runner (made on first use).
	runner func() Runner
}

var executors []executorDef

// registerExecutor adds an executor; order fixes who is asked first.
func registerExecutor(d executorDef) {
	for _, e := range executors {
		if e.name == d.name {
			panic("inject: executor registered twice: " + d.name)
		}
	}
	executors = append(executors, d)
	sort.SliceStable(executors, func(i, j int) bool { return executors[i].order < executors[j].order })
}

// executorFor returns the definition of the executor that serves h.
func executorFor(h targets.Host) (executorDef, error) {
	for _, d := range executors {
		if d.serves(h) {
			return d, nil
		}
	}
	return executorDef{}, fmt.Errorf("host %s: no executor reaches it", h.Name)
}

// executorNamed returns the definition of a recorded executor name.
func executorNamed(name string) (executorDef, error) {
	for _, d := range executors {
		if d.name == name {
			return d, nil
		}
	}
	return executorDef{}, fmt.Errorf("the ledger names executor %q, which this gameday does not know", oneLine(name))
}

// executor opens (once, then from the cache) the executor d for via.
func (m *Manager) executor(d executorDef, via map[string]string) (Executor, error) {
	key := execKey(d.name, via)
	m.mu.Lock()
	defer m.mu.Unlock()
	if x, ok := m.execs[key]; ok {
		return x, nil
	}
	x, err := d.open(&m.env, via)
	if err != nil {
		return nil, err
	}
	m.execs[key] = x
	return x, nil
}

// runSteps runs steps in order on h and stops at the first failure.
func runSteps(ctx context.Context, x Executor, h targets.Host, steps []Step, each func()) error {
	for _, s := range steps {
		if err := x.Run(ctx, h, s); err != nil {
			return err
		}
		if each != nil {
			each()
		}
	}
	return nil
}
