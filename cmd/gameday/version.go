package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set by the linker (-X main.version=…) for releases.
var version = "dev"

// VersionOptions are the inputs of `gameday version`.
type VersionOptions struct {
	IO *IOStreams
}

// NewCmdVersion builds `gameday version`.
func NewCmdVersion(io *IOStreams, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: io}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print gameday's version and the Go version it was built with",
		Example: "  gameday version",
		Args:    cobra.NoArgs,
		RunE:    runE(opts, runF, versionRun),
	}
}

func versionRun(opts *VersionOptions) error {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(opts.IO.Out, "gameday %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
