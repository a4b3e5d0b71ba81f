package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// RunOptions are the inputs of `gameday run`.
type RunOptions struct {
	IO        *IOStreams
	Runbook   string
	Inventory string
	Report    string // "" for beside the journal
	Journal   string // "" for a new session journal in the state directory
	// Vars set the runbook's variables (--var, --var-file).
	Vars VarOptions
	// Metrics serves the run's /metrics (--metrics-listen).
	Metrics MetricsOptions
	// Signals delivers interrupts; nil means SIGINT and SIGTERM (tests
	// pass their own channel).
	Signals chan os.Signal
}

// NewCmdRun builds `gameday run`. runF, when set, receives the parsed
// options instead of running anything (tests).
func NewCmdRun(io *IOStreams, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "run RUNBOOK -i INVENTORY [--var NAME=VALUE]… [--var-file FILE]… [--report timeline.md] [--journal journal.jsonl]",
		Short: "Run a runbook headless; the exit status is its verdict",
		Long: `gameday run executes a runbook (see docs/runbooks.md) against an inventory:
it starts the inventory's probes, runs the steps with a line of progress each,
judges the hypothesis from the probe readings and always runs the rollback,
which reverts every fault the run armed. It writes the session journal and the
markdown report and prints their paths.

--var NAME=VALUE and --var-file FILE set the variables the runbook declares
under vars: (used as ${NAME}); --var wins over --var-file, which wins over the
runbook's default. A variable the runbook does not declare is bad input.

Exit status: 0 the hypothesis held, 1 it deviated, 2 bad input, 3 aborted (an
abort condition, a failed step, Ctrl-C, or a rollback that could not revert).
Ctrl-C stops the current step and starts the rollback; pressing it again does
not skip the rollback.`,
		Example: `  gameday run examples/redis-failover.yaml -i ~/.local/state/gameday/lab/inventory.yaml
  gameday run drill.yaml -i inventory.yaml --journal drill.jsonl --report drill.md
  gameday run examples/redis-latency.yaml -i inventory.yaml --var target=redis-2 --var delay=800ms`,
		Args: exactlyOne("run", "RUNBOOK file"),
		PreRunE: func(_ *cobra.Command, args []string) error {
			opts.Runbook = args[0]
			return needInventory(opts.Inventory, "which hosts and services the runbook runs on")
		},
		RunE: runE(opts, runF, runRun),
	}
	cmd.Flags().StringVarP(&opts.Inventory, "inventory", "i", "", "inventory.yaml describing the hosts and services")
	cmd.Flags().StringVar(&opts.Report, "report", "", "write the markdown report here (default: beside the journal, .md)")
	cmd.Flags().StringVar(&opts.Journal, "journal", "", "append the session's events to this journal (default: a new one in the state directory)")
	addVarFlags(cmd.Flags(), &opts.Vars)
	addMetricsFlag(cmd.Flags(), &opts.Metrics)
	return cmd
}

func runRun(opts *RunOptions) error {
	rb, err := loadWithVars(opts.Runbook, opts.Vars, runbooks.Load)
	if err != nil {
		return err
	}
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	metricsLn, err := opts.Metrics.listen()
	if err != nil {
		return err
	}
	sess, err := session.Open(session.Config{Source: "run", Targets: inv, Inventory: inventoryName(inv), Runbook: rb, Journal: opts.Journal})
	if err != nil {
		if metricsLn != nil {
			metricsLn.Close()
		}
		return sessionError(err)
	}
	stopMetrics, err := serveMetrics(opts.IO, sess, metricsLn, true)
	if err != nil {
		sess.Close("failed")
		return err
	}
	defer stopMetrics()
	runCtx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	stopSignals := watchInterrupts(opts, interrupt)
	out := opts.IO.Out
	fmt.Fprintf(out, "runbook %s on %s (journal %s)\n", rb.Name, inventoryName(inv), sess.Path())
	if len(rb.Vars) > 0 {
		fmt.Fprintf(out, "vars: %s\n", runbooks.VarsLine(rb.Vars))
	}
	res, err := sess.RunRunbook(runCtx, session.RunbookOptions{Progress: func(line string) { fmt.Fprintln(out, line) }})
	stopSignals()
	if err != nil {
		sess.Close("failed")
		return err
	}
	if cerr := sess.Close(res.Verdict); cerr != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: journal: %v\n", cerr)
	}

	report, rerr := sess.Report(opts.Report)
	printVerdict(opts.IO, res, sess.Path(), report)
	if rerr != nil {
		fmt.Fprintf(opts.IO.ErrOut, "gameday: report: %v\n", rerr)
	}
	return verdictExit(res)
}

func inventoryName(inv *targets.Inventory) string {
	if inv.Name != "" {
		return inv.Name
	}
	return filepath.Base(inv.Path)
}

// watchInterrupts cancels the run at the first SIGINT/SIGTERM and, at every
// later one, tells the operator the rollback is still running: it must not
// be skipped, so no second signal ends the process. The returned func stops
// watching.
func watchInterrupts(opts *RunOptions, interrupt context.CancelFunc) func() {
	sigs := opts.Signals
	if sigs == nil {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	}
	done := make(chan struct{})
	go func() {
		first := true
		for {
			select {
			case <-done:
				return
			case <-sigs:
				if first {
					first = false
					fmt.Fprintln(opts.IO.ErrOut, "interrupted: stopping the current step and rolling back")
					interrupt()
					continue
				}
				fmt.Fprintln(opts.IO.ErrOut, "rollback in progress, please wait")
			}
		}
	}()
	return func() {
		if opts.Signals == nil {
			signal.Stop(sigs)
		}
		close(done)
	}
}

// printVerdict prints the verdict, each condition and where the files are.
func printVerdict(io *IOStreams, res runbooks.Result, journal, report string) {
	fmt.Fprintf(io.Out, "verdict: %s%s\n", res.Verdict, prefixedReason(res.Reason))
	for _, c := range res.Conditions {
		mark := "held"
		if !c.Held {
			mark = "DEVIATED"
		}
		fmt.Fprintf(io.Out, "  %-8s %s (worst: %s)\n", mark, c.Condition, c.Worst)
	}
	if res.RollbackErr != nil {
		fmt.Fprintf(io.ErrOut, "gameday: the rollback could not revert every fault: %v\nrevert them with: gameday revert --all\n", res.RollbackErr)
	}
	fmt.Fprintf(io.Out, "journal: %s\nreport: %s\n", journal, report)
}

func prefixedReason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// verdictExit maps a result to the exit status scripts rely on.
func verdictExit(res runbooks.Result) error {
	switch {
	case res.RollbackErr != nil || res.Verdict == timeline.VerdictAborted:
		return &ExitError{Code: ExitAborted}
	case res.Verdict == timeline.VerdictDeviated:
		return &ExitError{Code: ExitFailed}
	}
	return nil
}
