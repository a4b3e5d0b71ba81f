package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// onceWindow is the window `gameday probe --once` uses unless --window is
// given: long enough for 30 requests at the default 10/s, short enough
// for a readiness check in a script.
const onceWindow = 3 * time.Second

// ProbeOptions are the inputs of `gameday probe`.
type ProbeOptions struct {
	IO        *IOStreams
	Inventory string
	Once      bool
	JSON      bool
	For       time.Duration
	Window    time.Duration
	// Report is how often readings are printed (the probes' report
	// interval).
	Report time.Duration
}

// NewCmdProbe builds `gameday probe`.
func NewCmdProbe(io *IOStreams, runF func(*ProbeOptions) error) *cobra.Command {
	opts := &ProbeOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Run the inventory's steady-state probes and print their readings, without the TUI",
		Long: `gameday probe runs every probe the inventory's services call for
(redis.latency, sentinel.master, kafka.lag, kafka.latency,
cassandra.quorum) and prints one reading per probe per report interval,
each summarising the probe's rolling window, judged against its
thresholds: ok, breach, or error (cannot measure).

--once waits until every probe has measured one full window, prints the
readings and exits. It uses a 3 s window unless --window is given, so a
readiness check takes seconds, not the 10 s of the default window.

Exit status: 0 when the last reading of every probe is ok, 1 when any is a
breach or an error, 2 for a bad inventory or flag.`,
		Example: `  gameday probe -i inventory.yaml --once          # one window, exit 0 if all ok
  gameday probe -i inventory.yaml --once --json   # the same, one JSON object per probe
  gameday probe -i inventory.yaml --for 30s       # stream readings for 30 s`,
		Args: cobra.NoArgs,
		RunE: runE(opts, runF, probeRun),
	}
	addInventoryFlag(cmd, &opts.Inventory)
	cmd.Flags().BoolVar(&opts.Once, "once", false, "print one full window of every probe and exit")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object per line per window")
	cmd.Flags().DurationVar(&opts.For, "for", 0, "stop after this long (default: until interrupted)")
	cmd.Flags().DurationVar(&opts.Window, "window", 0, "override every probe's rolling window (default: the inventory's, 10s; 3s with --once)")
	cmd.Flags().DurationVar(&opts.Report, "report", probes.DefaultReport, "how often each probe reports")
	return cmd
}

func probeRun(opts *ProbeOptions) error {
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	for flag, d := range map[string]time.Duration{"--for": opts.For, "--window": opts.Window, "--report": opts.Report} {
		if d < 0 || (flag == "--report" && d == 0) {
			return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s must be a positive duration, got %s", flag, d)}
		}
	}
	window := opts.Window
	if opts.Once && window == 0 {
		window = onceWindow
	}
	rec := timeline.NewRecorder()
	defer rec.Close()
	set, err := probes.NewSet(inv, rec, probes.Options{Report: opts.Report, Window: window})
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s: %w", opts.Inventory, err)}
	}
	if len(set.Probes()) == 0 {
		return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s: no service in the inventory calls for a probe", opts.Inventory)}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.For > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.For)
		defer cancel()
	}
	enc := probes.NewTableEncoder(opts.IO.Out)
	if opts.JSON {
		enc = probes.NewJSONEncoder(opts.IO.Out)
	}
	out := &firstError{enc: enc}
	var latest []probes.Reading
	if opts.Once {
		latest = probeOnce(ctx, set)
		for _, r := range latest {
			out.write(r)
		}
	} else {
		latest = probeStream(ctx, set, rec, out)
	}
	if out.err != nil {
		return fmt.Errorf("write readings: %w", out.err)
	}
	for _, r := range latest {
		if r.Status != probes.StatusOK {
			return &ExitError{Code: ExitFailed}
		}
	}
	return nil
}

// probeOnce runs the set until every probe has summarised one full window
// (the longest window plus one report interval), or a little longer for a
// probe still connecting, and returns the latest readings.
func probeOnce(ctx context.Context, set *probes.Set) []probes.Reading {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); set.Run(ctx) }()
	defer func() { cancel(); <-done }()
	full := time.NewTimer(set.MaxWindow() + probes.DefaultReport)
	defer full.Stop()
	select {
	case <-ctx.Done():
		return set.Latest()
	case <-full.C:
	}
	// A probe still connecting gets a few more report intervals before
	// it is reported as pending, which --once counts as not ok.
	for range 5 {
		if !anyPending(set.Latest()) {
			break
		}
		select {
		case <-ctx.Done():
			return set.Latest()
		case <-time.After(probes.DefaultReport):
		}
	}
	return set.Latest()
}

func anyPending(rs []probes.Reading) bool {
	for _, r := range rs {
		if r.Status == probes.StatusPending {
			return true
		}
	}
	return false
}

// probeStream prints every window of every probe as the Recorder fans it
// out, until ctx is done, and returns the latest readings.
func probeStream(ctx context.Context, set *probes.Set, rec *timeline.Recorder, out *firstError) []probes.Reading {
	sub := rec.Subscribe(1024)
	defer sub.Close()
	done := make(chan struct{})
	go func() { defer close(done); set.Run(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-done
			return set.Latest()
		case ev := <-sub.C():
			if ev.Kind != timeline.ProbeWindow {
				continue
			}
			if r := ev.Reading(); r != nil {
				out.write(*r)
			}
		}
	}
}

// firstError encodes readings until the first write error, and keeps it.
type firstError struct {
	enc probes.Encoder
	err error
}

func (o *firstError) write(r probes.Reading) {
	if o.err == nil {
		o.err = o.enc(r)
	}
}
