package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/metrics"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// LabOptions are the inputs of `gameday lab` and `gameday lab up`.
type LabOptions struct {
	IO              *IOStreams
	Dir             string
	DownAfter       time.Duration
	FailoverTimeout time.Duration
	Faketime        bool
	// Full adds real Apache Kafka and Cassandra clusters; DataTmpfsMB puts
	// each real broker's log dir on a tmpfs of that size.
	Full        bool
	DataTmpfsMB int
	// NoKafka leaves Kafka out: the kfake brokers and, with Full, the
	// real ones (a Cassandra-only full lab).
	NoKafka bool
	// ToxiproxyAPI serves the embedded Toxiproxy's unauthenticated HTTP
	// API on loopback.
	ToxiproxyAPI bool
	// SSH, with Full, puts every real node on a namespace host of its own
	// reached over SSH.
	SSH bool
	// TUI is set for bare `gameday lab`, which opens the TUI on the lab
	// once it is up (when labOpenTUI is wired).
	TUI bool
	// Baseline, when set, runs the lab's probes that long once it is up
	// and writes the thresholds they propose into its inventory, so that
	// the lab's steady state fits the machine it runs on.
	Baseline time.Duration
	// Metrics serves /metrics (--metrics-listen): of the TUI's session
	// with bare `gameday lab`, of a session of the lab's own (its probes
	// and the ledger's faults) with `lab up`.
	Metrics MetricsOptions
}

// LabDownOptions are the inputs of `gameday lab down`.
type LabDownOptions struct {
	IO      *IOStreams
	Dir     string
	Timeout time.Duration
}

// labOpenTUI, when set (by the TUI's wiring), runs the TUI on a started
// lab for bare `gameday lab`; it returns when the user quits; metrics,
// when set, serves the TUI session's /metrics. Unset, bare `gameday lab`
// behaves like `gameday lab up`.
var labOpenTUI func(io *IOStreams, l *lab.Lab, metrics net.Listener) error

// NewCmdLab builds `gameday lab` with its `up` and `down` subcommands.
// runF, when set, receives the parsed options of bare `gameday lab`
// instead of running it (tests).
func NewCmdLab(io *IOStreams, runF func(*LabOptions) error) *cobra.Command {
	cmd := labUpCommand(&cobra.Command{
		Use:   "lab",
		Short: "Start the local practice lab (Redis Sentinel, Kafka, Toxiproxy) and open the TUI on it",
		Long: `gameday lab starts a practice cluster on loopback — one Redis master, two
replicas and three Sentinels behind Toxiproxy, three kfake Kafka brokers with
a producer and a committing consumer group — writes its inventory.yaml and
runs until interrupted. See docs/lab.md.`,
		Example: `  gameday lab                       # start the lab and open the TUI on it
  gameday lab up --dir /tmp/lab     # start it without the TUI
  gameday lab down --dir /tmp/lab   # stop a lab started elsewhere`,
	}, &LabOptions{IO: io, TUI: true}, runF)
	cmd.AddCommand(NewCmdLabUp(io, runF), NewCmdLabDown(io, nil))
	return cmd
}

// NewCmdLabUp builds `gameday lab up`.
func NewCmdLabUp(io *IOStreams, runF func(*LabOptions) error) *cobra.Command {
	return labUpCommand(&cobra.Command{
		Use:   "up",
		Short: "Start the local lab without the TUI, print its inventory path and health, run until stopped",
		Example: `  gameday lab up
  gameday lab up --dir /tmp/lab --down-after 5s --failover-timeout 30s
  gameday lab up --baseline 30s     # thresholds that fit this machine`,
	}, &LabOptions{IO: io}, runF)
}

// labUpCommand completes cmd (its name and help) as a command that starts
// the lab with opts: `gameday lab` and `gameday lab up` differ only in
// their help and in opts.TUI.
func labUpCommand(cmd *cobra.Command, opts *LabOptions, runF func(*LabOptions) error) *cobra.Command {
	cmd.Args = cobra.NoArgs
	cmd.RunE = runE(opts, runF, labUpRun)
	f := cmd.Flags()
	f.StringVar(&opts.Dir, "dir", "", "lab state directory (default $XDG_STATE_HOME/gameday/lab)")
	f.DurationVar(&opts.DownAfter, "down-after", 2*time.Second, "Sentinel down-after-milliseconds")
	f.DurationVar(&opts.FailoverTimeout, "failover-timeout", 10*time.Second, "Sentinel failover-timeout")
	f.BoolVar(&opts.Faketime, "faketime", false, "run Redis and Sentinel under libfaketime for clock-drift faults (see docs/lab.md)")
	f.BoolVar(&opts.Full, "full", false, "add real Apache Kafka (3 brokers, KRaft) and Cassandra (3 nodes) from Maven Central jars; needs java and mvn")
	f.BoolVar(&opts.NoKafka, "no-kafka", false, "leave Kafka out: the kfake brokers and, with --full, the three real brokers (a Cassandra-only full lab, three JVMs fewer)")
	f.IntVar(&opts.DataTmpfsMB, "data-tmpfs", 0, "with --full, mount a tmpfs of this many MiB on each real broker's log dir (root; for disk-full drills)")
	f.BoolVar(&opts.SSH, "ssh", false, "with --full, run every real broker and Cassandra node on a namespace host of its own with sshd, listed as an SSH host: faults take the SSH path (root; see docs/lab.md)")
	f.BoolVar(&opts.ToxiproxyAPI, "toxiproxy-api", false, "also serve the embedded Toxiproxy's own HTTP API on loopback (no authentication: any local user can change the lab's network)")
	f.DurationVar(&opts.Baseline, "baseline", 0, "once up, watch the probes this long (e.g. 30s) and write the thresholds they propose into the lab's inventory (see gameday baseline)")
	addMetricsFlag(f, &opts.Metrics)
	return cmd
}

// NewCmdLabDown builds `gameday lab down`.
func NewCmdLabDown(io *IOStreams, runF func(*LabDownOptions) error) *cobra.Command {
	opts := &LabDownOptions{IO: io}
	cmd := &cobra.Command{
		Use:     "down",
		Short:   "Stop the lab running from a directory; reverts its faults and waits until every process is gone",
		Example: "  gameday lab down\n  gameday lab down --dir /tmp/lab",
		Args:    cobra.NoArgs,
		RunE:    runE(opts, runF, labDownRun),
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "lab state directory (default $XDG_STATE_HOME/gameday/lab)")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 30*time.Second, "how long to wait for the lab to stop")
	return cmd
}

func labUpRun(opts *LabOptions) error {
	if opts.DownAfter <= 0 || opts.FailoverTimeout <= 0 {
		return &ExitError{Code: ExitBadInput, Err: errors.New("--down-after and --failover-timeout must be positive durations such as 2s")}
	}
	if opts.SSH && !opts.Full {
		return &ExitError{Code: ExitBadInput, Err: errors.New("--ssh puts the real Kafka and Cassandra nodes of --full on hosts of their own: give --full too")}
	}
	metricsLn, err := opts.Metrics.listen()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	out := opts.IO.Out
	var scrape []string
	if metricsLn != nil {
		// The lab's Prometheus scrapes this gameday's /metrics as job
		// gameday, next to the lab's own exporter.
		scrape = []string{metrics.ScrapeTarget(metricsLn.Addr())}
	}
	l, err := lab.Start(ctx, lab.Options{
		Dir:             opts.Dir,
		DownAfter:       opts.DownAfter,
		FailoverTimeout: opts.FailoverTimeout,
		Faketime:        opts.Faketime,
		Full:            opts.Full,
		NoKafka:         opts.NoKafka,
		DataTmpfsMB:     opts.DataTmpfsMB,
		ToxiproxyAPI:    opts.ToxiproxyAPI,
		Scrape:          scrape,
		SSH:             opts.SSH,
		Progress:        func(s string) { fmt.Fprintln(out, s) },
	})
	if err != nil {
		if metricsLn != nil {
			metricsLn.Close()
		}
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("lab: %w", err)}
	}
	defer l.Stop()
	fmt.Fprintf(out, "inventory: %s\n", l.InventoryPath())
	printLabNodes(opts.IO, l.Nodes())
	printSSHNodes(opts.IO, l)
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	printLabHealth(opts.IO, l.Health(hctx))
	cancel()
	if opts.Baseline > 0 {
		if err := labBaseline(ctx, opts, l); err != nil {
			return err
		}
	}
	if opts.TUI && labOpenTUI != nil {
		if err := labOpenTUI(opts.IO, l, metricsLn); err != nil {
			return err
		}
		return stopLab(opts.IO, l)
	}
	endSession, err := labSession(opts.IO, l, metricsLn)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "lab running; Ctrl-C or `gameday lab down --dir %s` stops it\n", l.Dir())
	<-ctx.Done()
	endSession()
	return stopLab(opts.IO, l)
}

// labBaseline runs a baseline on the lab just started and writes what it
// proposes into the lab's inventory file (no backup: the lab writes it
// anew at every start) and into the inventory the lab holds.
func labBaseline(ctx context.Context, opts *LabOptions, l *lab.Lab) error {
	inv, err := targets.Load(l.InventoryPath())
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("lab baseline: %w", err)}
	}
	props, err := measureBaseline(ctx, inv, opts.Baseline, opts.IO.Out)
	if err != nil {
		return err
	}
	if err := writeProposalsTable(opts.IO.Out, props); err != nil {
		return err
	}
	changes := probes.Changes(props)
	if _, err := writeBaseline(opts.IO.Out, l.InventoryPath(), changes, false); err != nil {
		return err
	}
	for _, c := range changes {
		if err := l.Inventory().SetThresholds(c.At, c.Thresholds); err != nil {
			return &ExitError{Code: ExitFailed, Err: fmt.Errorf("lab baseline: %w", err)}
		}
	}
	return nil
}

// labSession opens, for `lab up --metrics-listen`, a live session on the
// lab (its probes, the ledger's faults) for /metrics to export; without
// the flag there is none. The returned func ends it.
func labSession(stdio *IOStreams, l *lab.Lab, metricsLn net.Listener) (end func(), err error) {
	if metricsLn == nil {
		return func() {}, nil
	}
	sess, err := session.Open(session.Config{Source: "lab", Targets: l.Inventory()})
	if err != nil {
		metricsLn.Close()
		return nil, sessionError(err)
	}
	stopMetrics, err := serveMetrics(stdio, sess, metricsLn, true)
	if err != nil {
		sess.Close("failed")
		return nil, err
	}
	fmt.Fprintf(stdio.Out, "session: %s (the lab's probes and the faults of the ledger, for /metrics)\n", sess.Path())
	return func() {
		if err := sess.Close("lab stopped"); err != nil {
			fmt.Fprintf(stdio.ErrOut, "gameday: close the session journal: %v\n", err)
		}
		stopMetrics()
	}, nil
}

func stopLab(io *IOStreams, l *lab.Lab) error {
	fmt.Fprintln(io.Out, "lab: stopping (reverting guarded faults, stopping every node)")
	if err := l.Stop(); err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("lab stop: %w", err)}
	}
	fmt.Fprintln(io.Out, "lab: stopped, no process left")
	return nil
}

// printLabNodes prints one row per lab node: what faults can target.
func printLabNodes(io *IOStreams, nodes []labapi.NodeStatus) {
	tw := tabwriter.NewWriter(io.Out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tKIND\tPID\tSTATE\tCLIENTS USE\tLISTENS ON")
	for _, n := range nodes {
		addr := n.Listen
		if n.ProxyAddr != "" {
			addr = n.ProxyAddr + " (proxy " + n.Proxy + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", n.Name, n.Kind, n.PID, n.State, addr, n.Listen)
	}
	tw.Flush()
}

// printSSHNodes prints, for an SSH full lab, how to reach each real node
// and the paths its faults take as parameters (not in the inventory: an
// SSH host has no lab: block).
func printSSHNodes(io *IOStreams, l *lab.Lab) {
	for _, h := range l.Inventory().Hosts {
		if h.Lab != nil || h.SSH.IdentityFile == "" {
			continue
		}
		files, ok := l.RealNodeFiles(h.Name)
		if !ok {
			continue
		}
		fmt.Fprintf(io.Out, "ssh: %s is %s@%s (-i %s); data %s; start %s", h.Name, h.SSH.User, h.Address, h.SSH.IdentityFile, files.DataDir, files.StartScript)
		if files.FaketimeFile != "" {
			fmt.Fprintf(io.Out, "; faketime %s", files.FaketimeFile)
		}
		fmt.Fprintln(io.Out)
	}
}

// printLabHealth prints one line per part of the lab.
func printLabHealth(io *IOStreams, h labapi.Health) {
	if r := h.Redis; r != nil {
		if r.Green() {
			fmt.Fprintf(io.Out, "health: redis green: master %s, %d replicas in sync, %d sentinels agree\n", r.Master, r.ReplicasUp, len(r.Sentinels))
		} else {
			fmt.Fprintf(io.Out, "health: redis NOT green: %s\n", r.Problem)
		}
	}
	switch {
	case h.KafkaLag != nil:
		fmt.Fprintf(io.Out, "health: kafka group %s lag %d\n", lab.KafkaGroup, *h.KafkaLag)
	case h.KafkaError != "":
		fmt.Fprintf(io.Out, "health: kafka lag unknown: %s\n", strings.TrimSpace(h.KafkaError))
	}
}

func labDownRun(opts *LabDownOptions) error {
	dir := opts.Dir
	if dir == "" {
		d, err := lab.DefaultDir()
		if err != nil {
			return &ExitError{Code: ExitFailed, Err: err}
		}
		dir = d
	}
	if _, err := os.Stat(dir); err != nil {
		return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("lab dir %s: %w", dir, err)}
	}
	pid, err := lab.Running(dir)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	if err := lab.Down(ctx, dir, func(s string) { fmt.Fprintln(opts.IO.Out, s) }); err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("lab down: %w", err)}
	}
	if pid == 0 {
		fmt.Fprintf(opts.IO.Out, "no lab was running from %s; nothing left behind\n", dir)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "lab (pid %d) in %s stopped; no process left\n", pid, dir)
	return nil
}
