package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
)

// DrillOptions are the inputs of `gameday drill`.
type DrillOptions struct {
	IO        *IOStreams
	Drill     string
	Inventory string
	// Check loads the drill and fits it to the inventory, arming nothing.
	Check bool
	// IKnow is the trainer's consent to candidates that take down a
	// majority (they must also say i-know: true).
	IKnow bool
	// Vars set the drill's variables (--var, --var-file).
	Vars VarOptions
	// Seed picks the plan; 0 picks a random seed (recorded in drill.plan
	// and printed at the end, so the drill can be re-run identically).
	Seed     uint64
	StateDir string
}

// NewCmdDrill builds `gameday drill`. runF, when set, receives the parsed
// options instead of running anything (tests).
func NewCmdDrill(io *IOStreams, runF func(*DrillOptions) error) *cobra.Command {
	opts := &DrillOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "drill DRILL -i INVENTORY [--check] [--seed N] [--i-know] [--var NAME=VALUE]…",
		Short: "Run an on-call training drill (the trainer's screen), or check it",
		Long: `gameday drill loads a training drill (see docs/drills.md): a briefing, the
probes that matter, and scenarios whose fault is picked at random and armed at a
hidden moment. With --check it fits the drill to the inventory and arms nothing:
every problem of the file is listed with its line and column, every probe must be
one the inventory gives, every host selector must match hosts, and a candidate
that could take down a majority of a service's nodes is refused unless it says
i-know: true and --i-know is given.

Without --check it runs the drill as a session on this terminal, the trainer's
screen: the hidden plan, the score board and everything armed. The plan comes
from --seed (random when not given; printed at the end and recorded, so the
same seed re-runs the same drill). Quitting stops the drill and reverts its
fault. Trainees join a drill served with gameday serve --drill (see
docs/drills.md).

Exit status: 0 the drill fits (or ran), 2 bad input.`,
		Example: `  gameday drill examples/drills/redis-cache.yaml -i ~/.local/state/gameday/lab/inventory.yaml --check
  gameday drill examples/drills/redis-cache.yaml -i ~/.local/state/gameday/lab/inventory.yaml --seed 7`,
		Args: exactlyOne("drill", "DRILL file"),
		PreRunE: func(_ *cobra.Command, args []string) error {
			opts.Drill = args[0]
			return needInventory(opts.Inventory, "which hosts and services the drill runs on")
		},
		RunE: runE(opts, runF, drillRun),
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Inventory, "inventory", "i", "", "inventory.yaml describing the hosts and services")
	f.BoolVar(&opts.Check, "check", false, "load the drill and fit it to the inventory, arming nothing")
	f.BoolVar(&opts.IKnow, "i-know", false, "allow candidates marked i-know: true that take down a majority of a service")
	f.Uint64Var(&opts.Seed, "seed", 0, "seed of the drill's plan (default: a random one, printed at the end)")
	f.StringVar(&opts.StateDir, "state-dir", "", "where the session journal and the fault ledger live (default $XDG_STATE_HOME/gameday)")
	addVarFlags(f, &opts.Vars)
	return cmd
}

// drillRun runs the drill as a local session with this terminal as the
// trainer's screen, or with --check only fits it to the inventory.
func drillRun(opts *DrillOptions) error {
	if opts.Check {
		return drillCheck(opts)
	}
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	dr, err := loadWithVars(opts.Drill, opts.Vars, drills.Load)
	if err != nil {
		return err
	}
	cfg := session.Config{Source: "drill", Targets: inv, Drill: dr, Seed: drillSeed(opts.Seed), IKnow: opts.IKnow, StateDir: opts.StateDir}
	return openScreen(opts.IO, cfg, session.Trainer, nil)
}

// drillSeed is the seed given, or a random one.
func drillSeed(given uint64) uint64 {
	for given == 0 {
		given = rand.Uint64()
	}
	return given
}

// startDrill starts the session's drill, if it has one, for trainer; the
// function returned stops it (its fault reverted) and prints how it ended
// and its seed.
func startDrill(sess *session.Session, trainer string) func(out io.Writer) {
	dr := sess.Drill()
	if dr == nil {
		return func(io.Writer) {}
	}
	wait, err := sess.StartDrill(context.Background(), session.DrillOptions{Trainer: trainer})
	if err != nil {
		return func(out io.Writer) { fmt.Fprintf(out, "drill %s did not start: %v\n", dr.Name, err) }
	}
	return func(out io.Writer) {
		stopped := sess.StopDrill()
		res := wait()
		how := res.Reason
		if stopped {
			how = "stopped; its fault was reverted"
		}
		fmt.Fprintf(out, "drill %s: %s (seed %d: --seed %d re-runs it)\n", dr.Name, how, sess.Seed(), sess.Seed())
		if res.RevertErr != nil {
			fmt.Fprintf(out, "drill %s: a revert failed: %v — run gameday revert --all\n", dr.Name, res.RevertErr)
		}
	}
}

// loadDrill loads the drill with the variables given and fits it to inv
// (live Redis roles, the probes inv gives, inject's blast radius); every
// problem is bad input.
func loadDrill(ctx context.Context, path string, v VarOptions, inv *targets.Inventory, iKnow bool) (*drills.Drill, error) {
	dr, err := loadWithVars(path, v, drills.Load)
	if err != nil {
		return nil, err
	}
	set, err := probes.NewSet(inv, nil, probes.Options{})
	if err != nil {
		return nil, &ExitError{Code: ExitBadInput, Err: err}
	}
	// The blast radius is judged with the roles that hold now, in a
	// throw-away ledger: planning writes nothing, but a Manager opens one.
	dir, err := os.MkdirTemp("", "gameday-drill-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	live := roles.New(inv).Resolve(ctx)
	mgr, err := inject.NewManager(live.Inv, nil, filepath.Join(dir, "ledger.jsonl"))
	if err != nil {
		return nil, err
	}
	defer mgr.Close()
	env := drills.Env{Probes: set.Probes(), Hosts: runbooks.InventoryHosts{Inv: inv}, Faults: mgr, IKnow: iKnow}
	if err := dr.Check(ctx, env); err != nil {
		return nil, &ExitError{Code: ExitBadInput, Err: err}
	}
	return dr, nil
}

func drillCheck(opts *DrillOptions) error {
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	dr, err := loadDrill(context.Background(), opts.Drill, opts.Vars, inv, opts.IKnow)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "drill %s fits %s: %d scenario(s)\n", dr.Name, inventoryName(inv), len(dr.Scenarios))
	for i, s := range dr.Scenarios {
		name := ""
		if s.Name != "" {
			name = " (" + s.Name + ")"
		}
		fmt.Fprintf(out, "  scenario %d%s: one of %d faults, armed %s–%s after it starts, for %s (guard %s)\n",
			i+1, name, len(s.Candidates), s.Window.From, s.Window.To, s.Lasts, s.TTL)
	}
	return nil
}
