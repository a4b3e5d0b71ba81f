package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// FaultsOptions are the inputs of `gameday faults`.
type FaultsOptions struct {
	IO        *IOStreams
	All       bool
	Inventory string
	// Now is the clock for ages and TTLs (tests pin it).
	Now func() time.Time
}

// NewCmdFaults builds `gameday faults`. runF, when set, receives the parsed
// options instead of listing (tests).
func NewCmdFaults(io *IOStreams, runF func(*FaultsOptions) error) *cobra.Command {
	opts := &FaultsOptions{IO: io, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "faults [--all]",
		Short: "List the faults in the ledger: what is in place, where, and for how long",
		Long: `gameday faults lists the ledger's faults that may still be in place (with
--all, every fault it ever recorded): ID, kind, hosts, state, age, the time
left before the hosts' guards revert it, and whether the gameday that armed it
still runs. Faults past their TTL are checked for a fired guard first.`,
		Example: `  gameday faults
  gameday faults --all`,
		Args: cobra.NoArgs,
		RunE: runE(opts, runF, faultsRun),
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "also list reverted, expired and failed faults")
	cmd.Flags().StringVarP(&opts.Inventory, "inventory", "i", "", "inventory.yaml (optional: the ledger knows the hosts)")
	return cmd
}

func faultsRun(opts *FaultsOptions) error {
	m, _, closeAll, err := openManager(managerSetup{Inventory: opts.Inventory, IO: opts.IO})
	if err != nil {
		return err
	}
	defer closeAll()
	// Faults past their TTL are settled from what their guards did.
	if err := m.Reconcile(context.Background()); err != nil {
		return err
	}
	list, err := m.List(!opts.All)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		if opts.All {
			fmt.Fprintln(opts.IO.Out, "the ledger holds no fault")
		} else {
			fmt.Fprintln(opts.IO.Out, "no fault in place")
		}
		return nil
	}
	return writeFaults(opts.IO, list, opts.Now())
}

// writeFaults prints the faults as a table.
func writeFaults(io *IOStreams, list []inject.Armed, now time.Time) error {
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tHOSTS\tPARAMS\tSTATE\tAGE\tTTL LEFT\tSESSION")
	for _, a := range list {
		since := a.ArmedAt
		if since.IsZero() {
			since = a.Deadline.Add(-a.Request.TTL)
		}
		left := "-"
		// Until the fault is settled its guards are the safety net: their
		// deadline shows whatever gameday concluded meanwhile (a failed
		// arm whose rollback did not finish, a crash mid-revert).
		if a.Active && a.State != inject.StateExpiredFailed {
			if d := a.Deadline.Sub(now); d > 0 {
				left = d.Round(time.Second).String()
			} else {
				left = "due"
			}
		}
		session := map[inject.SessionState]string{inject.SessionAlive: "alive", inject.SessionDead: "dead", inject.SessionUnknown: "elsewhere"}[a.Liveness]
		// The ledger keeps parameters whole for the revert; the list shows
		// them redacted, as every screen and report does.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Request.Kind, strings.Join(a.Request.Hosts, ","),
			timeline.Params(a.Request.Params), a.State,
			now.Sub(since).Round(time.Second), left, session)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, a := range list {
		if a.State == inject.StateExpiredFailed {
			fmt.Fprintf(io.Out, "%s: expired, revert failed: %s (gameday revert %s tries again)\n", a.ID, a.Error, a.ID)
		}
	}
	return nil
}
