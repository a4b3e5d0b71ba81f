package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// NewCmdRoot builds the gameday command tree.
func NewCmdRoot(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gameday",
		Short: "Chaos-engineering game days on Kafka, Cassandra and Redis Sentinel",
		Long: `gameday opens a terminal UI with live steady-state probes beside a fault
palette. Arm faults on chosen hosts, watch recovery, export the timeline.`,
		Example: `  gameday lab                      # start the local lab and open the TUI on it
  gameday -i inventory.yaml        # open the TUI against your inventory`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	cmd.SetIn(io.In)
	addTUI(cmd, io, nil)
	cmd.AddCommand(
		NewCmdVersion(io, nil),
		NewCmdLab(io, nil),
		NewCmdExport(io, nil),
		NewCmdCheck(io, nil),
		NewCmdInject(io, nil), NewCmdRevert(io, nil), NewCmdFaults(io, nil),
		NewCmdRun(io, nil),
		NewCmdProbe(io, nil),
		NewCmdBaseline(io, nil),
		NewCmdServe(io, nil),
		NewCmdDrill(io, nil),
		NewCmdReplay(io, nil),
		NewCmdGuard(io, nil),
	)
	return cmd
}

// addInventoryFlag adds -i/--inventory, required and completed with YAML
// files: the flag of the commands that cannot run without an inventory.
func addInventoryFlag(cmd *cobra.Command, inventory *string) {
	cmd.Flags().StringVarP(inventory, "inventory", "i", "", "inventory file (required)")
	_ = cmd.MarkFlagRequired("inventory")
	_ = cmd.MarkFlagFilename("inventory", "yaml", "yml")
}

// runE is the RunE of every command: a test's runF, when given, receives
// the parsed options instead of run, which does the work. Reading the
// arguments into opts and checking the flags is the command's PreRunE.
func runE[O any](opts *O, runF, run func(*O) error) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		if runF != nil {
			return runF(opts)
		}
		return run(opts)
	}
}

// needInventory refuses a command run without -i: the inventory says
// what it works on (why: "which hosts … the runbook runs on"). Commands
// whose -i is marked required by addInventoryFlag get cobra's message.
func needInventory(path, why string) error {
	if path == "" {
		return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("-i inventory.yaml is required: it says %s", why)}
	}
	return nil
}

// exactlyOne checks that the command (verb) got exactly one argument,
// what: "RUNBOOK file".
func exactlyOne(verb, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s needs exactly one %s, got %d arguments", verb, what, len(args))}
		}
		return nil
	}
}
