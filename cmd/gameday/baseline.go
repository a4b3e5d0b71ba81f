package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// BaselineOptions are the inputs of `gameday baseline`.
type BaselineOptions struct {
	IO        *IOStreams
	Inventory string
	For       time.Duration
	Write     bool
	JSON      bool
}

// NewCmdBaseline builds `gameday baseline`.
func NewCmdBaseline(io *IOStreams, runF func(*BaselineOptions) error) *cobra.Command {
	opts := &BaselineOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Run every probe without faults and propose thresholds that fit what they saw",
		Long: `gameday baseline runs the inventory's probes for --for with no fault
armed, then proposes a threshold for each from the values of their windows
(the first window, while connections open, is left out):

  p99 upper bounds:
      max(2 × the median window, the worst window + 25 %,
          the slowest single request + 25 %), rounded up to two significant digits
  p50, p90, max and value (PromQL, commands) upper bounds:
      max(2 × the median window, the worst window + 25 %), rounded up
  lag:      max(2 × the peak, the peak + 100)
  success:  the lowest window less one request, rounded down to 0.1 %

Probes that could not measure in some window, whose Sentinels disagreed,
or whose worst window is over 5 × the median are flagged unstable and get
no number. Thresholds that are facts of the design (master: stable,
lost == 0, lower bounds on agree or value) are kept as written.

--write rewrites the thresholds in the inventory file itself, keeping its
comments, order, quoting and anchors, after a backup beside it
(FILE.YYYYMMDD-HHMMSS.bak). Probes that share settings (kafka.lag of every
group) get the loosest of their proposals. See docs/inventory.md, Baselines.

Exit status: 0 when every probe got its proposals, 1 when any was unstable,
2 for a bad inventory or flag, or an inventory --write cannot rewrite.`,
		Example: `  gameday baseline -i inventory.yaml --for 2m
  gameday baseline -i inventory.yaml --for 2m --write`,
		Args: cobra.NoArgs,
		RunE: runE(opts, runF, baselineRun),
	}
	addInventoryFlag(cmd, &opts.Inventory)
	cmd.Flags().DurationVar(&opts.For, "for", 2*time.Minute, "how long to watch the probes")
	cmd.Flags().BoolVar(&opts.Write, "write", false, "rewrite the inventory's thresholds in place, after a backup")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object per proposal instead of a table")
	return cmd
}

func baselineRun(opts *BaselineOptions) error {
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	if opts.Write {
		// Said now, not after minutes of measuring.
		if err := targets.CheckRewritable(opts.Inventory); err != nil {
			return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("--write: %w; run without --write, or on a copy you can write", err)}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	props, err := measureBaseline(ctx, inv, opts.For, opts.IO.ErrOut)
	if err != nil {
		return err
	}
	if opts.JSON {
		err = writeProposalsJSON(opts.IO.Out, props)
	} else {
		err = writeProposalsTable(opts.IO.Out, props)
	}
	if err != nil {
		return err
	}
	if opts.Write {
		if _, err := writeBaseline(opts.IO.Out, opts.Inventory, probes.Changes(props), true); err != nil {
			return err
		}
	}
	for _, p := range props {
		if p.Verdict == probes.VerdictUnstable {
			return &ExitError{Code: ExitFailed}
		}
	}
	return nil
}

// measureBaseline runs every probe of inv for d, without faults, and
// returns the proposals. Interrupted before d, it proposes nothing.
func measureBaseline(ctx context.Context, inv *targets.Inventory, d time.Duration, progress io.Writer) ([]probes.Proposal, error) {
	set, err := probes.NewSet(inv, nil, probes.Options{})
	if err != nil {
		return nil, &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s: %w", inv.Path, err)}
	}
	if len(set.Probes()) == 0 {
		return nil, &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s: no service in the inventory calls for a probe", inv.Path)}
	}
	if warm := set.MaxWindow(); d < 2*warm {
		return nil, &ExitError{Code: ExitBadInput, Err: fmt.Errorf("--for %s is too short: the probes' windows are %s, the first of which is warm-up, so a baseline needs at least %s", d, warm, 2*warm)}
	}
	fmt.Fprintf(progress, "baseline: watching %d probes for %s with no fault armed (the first %s is warm-up)\n", len(set.Probes()), d, set.MaxWindow())
	start := time.Now()
	props, err := set.Baseline(ctx, d)
	if err != nil {
		return nil, &ExitError{Code: ExitAborted, Err: fmt.Errorf("baseline interrupted after %s; nothing proposed or written", time.Since(start).Round(time.Second))}
	}
	return props, nil
}

// writeBaseline writes the changes into the inventory at path (a backup
// first, when backup is set) and says what it wrote.
func writeBaseline(out io.Writer, path string, changes []targets.ThresholdChange, backup bool) (int, error) {
	if len(changes) == 0 {
		fmt.Fprintf(out, "%s: nothing to write, every proposed threshold is already there\n", path)
		return 0, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, &ExitError{Code: ExitFailed, Err: fmt.Errorf("read inventory: %w", err)}
	}
	edited, err := targets.EditThresholds(path, data, changes)
	if err != nil {
		var ps targets.Problems
		if errors.As(err, &ps) {
			return 0, &ExitError{Code: ExitBadInput, Err: ps}
		}
		return 0, &ExitError{Code: ExitFailed, Err: err}
	}
	saved := ""
	if backup {
		saved = path + "." + time.Now().Format("20060102-150405") + ".bak"
		if err := timeline.WriteFileAtomic(saved, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return 0, &ExitError{Code: ExitFailed, Err: fmt.Errorf("back up the inventory: %w", err)}
		}
	}
	if err := timeline.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(edited); return err }); err != nil {
		return 0, &ExitError{Code: ExitFailed, Err: err}
	}
	var what []string
	for _, c := range changes {
		what = append(what, c.At.String())
	}
	fmt.Fprintf(out, "%s: wrote the thresholds of %s", path, strings.Join(what, ", "))
	if saved != "" {
		fmt.Fprintf(out, " (the old file is %s)", saved)
	}
	fmt.Fprintln(out)
	return len(changes), nil
}

// writeProposalsTable prints one row per threshold of every probe.
func writeProposalsTable(out io.Writer, props []probes.Proposal) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBE\tTARGET\tP50\tP99\tMAX\tCURRENT\tPROPOSED\tVERDICT\tHOW")
	unstable := 0
	for _, p := range props {
		p50, p99, worst := "-", "-", "-"
		switch {
		case p.Latency != nil:
			p50, p99, worst = probes.FormatValue(p.Latency.P50, "ms"), probes.FormatValue(p.Latency.P99, "ms"), probes.FormatValue(p.Latency.Max, "ms")
		case p.Windows > 0:
			p50, p99, worst = probes.FormatValue(p.Median, p.Unit), probes.FormatValue(p.P99, p.Unit), probes.FormatValue(p.Worst, p.Unit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Probe, p.Target, p50, p99, worst,
			orDash(p.Current), orDash(p.Proposed), p.Verdict, p.Why)
		if p.Verdict == probes.VerdictUnstable {
			unstable++
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	fmt.Fprintln(out, "P50 P99 MAX: for latency, the median window's p50 and p99 and the slowest request; else the windows' values of the metric (for success, P99 and MAX are the low end).")
	if unstable > 0 {
		fmt.Fprintf(out, "%d thresholds unstable: no number proposed for them\n", unstable)
	}
	return nil
}

func writeProposalsJSON(out io.Writer, props []probes.Proposal) error {
	enc := json.NewEncoder(out)
	for _, p := range props {
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
