package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/runbooks"
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
}

// NewCmdDrill builds `gameday drill`. runF, when set, receives the parsed
// options instead of running anything (tests).
func NewCmdDrill(io *IOStreams, runF func(*DrillOptions) error) *cobra.Command {
	opts := &DrillOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "drill DRILL -i INVENTORY --check [--i-know] [--var NAME=VALUE]…",
		Short: "Check an on-call training drill against an inventory",
		Long: `gameday drill loads a training drill (see docs/drills.md): a briefing, the
probes that matter, and scenarios whose fault is picked at random and armed at a
hidden moment. With --check it fits the drill to the inventory and arms nothing:
every problem of the file is listed with its line and column, every probe must be
one the inventory gives, every host selector must match hosts, and a candidate
that could take down a majority of a service's nodes is refused unless it says
i-know: true and --i-know is given.

Exit status: 0 the drill fits, 2 bad input. Running a drill (trainer and trainee
screens) is not built yet: only --check runs.`,
		Example: `  gameday drill examples/drills/redis-cache.yaml -i ~/.local/state/gameday/lab/inventory.yaml --check`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("drill needs exactly one DRILL file, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Drill = args[0]
			switch {
			case opts.Inventory == "":
				return &ExitError{Code: ExitBadInput, Err: errors.New("-i inventory.yaml is required: it says which hosts and services the drill runs on")}
			case !opts.Check:
				return &ExitError{Code: ExitBadInput, Err: errors.New("only gameday drill --check runs for now: the trainer and trainee screens are not built yet")}
			}
			if runF != nil {
				return runF(opts)
			}
			return drillCheck(opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Inventory, "inventory", "i", "", "inventory.yaml describing the hosts and services")
	f.BoolVar(&opts.Check, "check", false, "load the drill and fit it to the inventory, arming nothing")
	f.BoolVar(&opts.IKnow, "i-know", false, "allow candidates marked i-know: true that take down a majority of a service")
	addVarFlags(f, &opts.Vars)
	return cmd
}

// loadDrill loads the drill with the variables given and fits it to inv
// (live Redis roles, the probes inv gives, inject's blast radius); every
// problem is bad input.
func loadDrill(ctx context.Context, path string, v VarOptions, inv *targets.Inventory, iKnow bool) (*drills.Drill, error) {
	vars, err := v.given()
	if err != nil {
		return nil, err
	}
	dr, err := drills.Load(path, vars...)
	if err != nil {
		return nil, &ExitError{Code: ExitBadInput, Err: err}
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
