package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// RevertOptions are the inputs of `gameday revert`.
type RevertOptions struct {
	IO        *IOStreams
	ID        string
	All       bool
	Inventory string
	Journal   string
	// AcceptNew trusts host keys not yet in known_hosts (and records
	// them); changed keys are still refused.
	AcceptNew bool
}

// NewCmdRevert builds `gameday revert`. runF, when set, receives the
// parsed options instead of reverting (tests).
func NewCmdRevert(io *IOStreams, runF func(*RevertOptions) error) *cobra.Command {
	opts := &RevertOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "revert [ID | --all]",
		Short: "Revert a fault from the ledger, or every fault still in place",
		Long: `gameday revert reverts one fault by its ID, or with --all every fault the
ledger lists as possibly in place — including those armed by a gameday that
crashed. Each host's revert is verified and reported; reverting twice is fine.
The ledger remembers how to reach each host, so -i is optional.`,
		Example: `  gameday revert 3f9a0c12
  gameday revert --all`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case opts.All && len(args) > 0:
				return &ExitError{Code: ExitBadInput, Err: errors.New("give either a fault ID or --all, not both")}
			case !opts.All && len(args) != 1:
				return &ExitError{Code: ExitBadInput, Err: errors.New("revert needs one fault ID, or --all (see gameday faults)")}
			}
			return nil
		},
		PreRunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			return nil
		},
		RunE: runE(opts, runF, revertRun),
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "revert every fault that may still be in place")
	cmd.Flags().StringVarP(&opts.Inventory, "inventory", "i", "", "inventory.yaml (optional: the ledger knows the hosts)")
	cmd.Flags().StringVar(&opts.Journal, "journal", "", "append the timeline events to this journal (.jsonl) instead of the CLI session journal in the state directory")
	cmd.Flags().BoolVar(&opts.AcceptNew, acceptNewFlag, false, acceptNewHelp)
	return cmd
}

func revertRun(opts *RevertOptions) error {
	m, _, closeAll, err := openManager(managerSetup{Inventory: opts.Inventory, Journal: opts.Journal,
		Record: true, AcceptNew: opts.AcceptNew, IO: opts.IO})
	if err != nil {
		return err
	}
	defer closeAll()
	ctx, cancel := interruptible()
	defer cancel()
	if !opts.All {
		if _, err := m.Ledger().Get(opts.ID); err != nil {
			return &ExitError{Code: ExitBadInput, Err: err}
		}
		a, err := m.Revert(ctx, opts.ID)
		fmt.Fprintf(opts.IO.Out, "%s (%s): %s\n", a.ID, a.Request.Kind, a.State)
		writeHosts(opts.IO, a)
		if err != nil {
			return &ExitError{Code: ExitFailed, Err: fmt.Errorf("revert of %s is incomplete: %w", opts.ID, err)}
		}
		return nil
	}
	all, err := m.RevertAll(ctx)
	for _, a := range all {
		fmt.Fprintf(opts.IO.Out, "%s (%s): %s\n", a.ID, a.Request.Kind, a.State)
		writeHosts(opts.IO, a)
	}
	if len(all) == 0 {
		fmt.Fprintln(opts.IO.Out, "nothing to revert: no fault in the ledger is in place")
	}
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("some reverts are incomplete: %w", err)}
	}
	return nil
}
