package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/inject"
)

// GuardOptions are the inputs of `gameday guard`, plumbing that gameday
// starts itself: the TTL guard, on this machine, of a fault on a host
// whose executor runs in-process (a Toxiproxy server's proxy).
type GuardOptions struct {
	IO *IOStreams
	// ID names the guard's state files: fault ID and host.
	ID string
}

// NewCmdGuard builds the hidden `gameday guard ID`.
func NewCmdGuard(io *IOStreams, runF func(*GuardOptions) error) *cobra.Command {
	opts := &GuardOptions{IO: io}
	return &cobra.Command{
		Use:    "guard ID",
		Short:  "Run a fault's TTL guard on this machine (gameday starts it; not for people)",
		Hidden: true,
		Args:   exactlyOne("guard", "guard ID"),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return guardRun(opts)
		},
	}
}

// guardRun runs until the guard fires or is cancelled (SIGTERM).
func guardRun(opts *GuardOptions) error {
	return inject.RunGuard(context.Background(), opts.ID)
}
