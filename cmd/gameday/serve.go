package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/metrics"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui"
	"github.com/gameday-dev/gameday/warroom"
)

// ServeOptions are the inputs of `gameday serve`.
type ServeOptions struct {
	IO        *IOStreams
	Inventory string
	Listen    string
	Keys      string
	ReadOnly  bool
	Runbook   string
	// Drill, Seed and IKnow serve a training drill (see DrillOptions):
	// the keys file gives people the trainer or trainee role.
	Drill string
	Seed  uint64
	IKnow bool
	// Vars set the runbook's or the drill's variables (--var, --var-file).
	Vars     VarOptions
	StateDir string
	// Metrics serves the session's /metrics (--metrics-listen).
	Metrics MetricsOptions
	// Signals delivers the stop signal; nil means SIGINT and SIGTERM
	// (tests pass their own channel).
	Signals chan os.Signal
	// Ready, when set, receives the address the server listens on once
	// it serves (tests).
	Ready func(addr net.Addr)
}

// NewCmdServe builds `gameday serve`. runF, when set, receives the parsed
// options instead (tests).
func NewCmdServe(io *IOStreams, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "serve -i INVENTORY --listen ADDR --keys FILE",
		Short: "Run one game day session that everyone joins with plain ssh",
		Long: `gameday serve runs one live session — probes, fault manager, journal — and
serves its screen over SSH: each person in the war room types ssh -p PORT HOST
and gets the full TUI on the shared session, sized to their own terminal, in
the role the keys file gives their public key (facilitator, scribe, observer;
trainer and trainee with --drill, see docs/drills.md).
Unknown keys are refused; there are no passwords; nothing but the screen is
served (no shell, exec or forwarding). The host key is generated once and kept
in the state directory; its fingerprint is printed at start. Every SSH session
is written to the audit log.

SIGTERM (or Ctrl-C) stops it without a question: it closes every screen,
reverts the faults this session armed, and writes the report. See
docs/war-room.md.`,
		Example: `  gameday serve -i inventory.yaml --listen :2222 --keys war-room.keys
  gameday serve -i inventory.yaml --listen 10.0.0.5:2222 --keys bridge.keys --read-only`,
		Args: cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if err := needInventory(opts.Inventory, "which hosts and services the session watches"); err != nil {
				return err
			}
			switch {
			case opts.Keys == "":
				return &ExitError{Code: ExitBadInput, Err: errors.New("--keys FILE is required: it says who may join and in which role (see docs/war-room.md)")}
			case opts.Runbook != "" && opts.ReadOnly:
				return &ExitError{Code: ExitBadInput, Err: errors.New("--runbook arms faults, so it cannot go with --read-only")}
			case opts.Drill != "" && opts.ReadOnly:
				return &ExitError{Code: ExitBadInput, Err: errors.New("--drill arms faults, so it cannot go with --read-only")}
			case opts.Drill != "" && opts.Runbook != "":
				return &ExitError{Code: ExitBadInput, Err: errors.New("--drill and --runbook cannot go together: a session runs one of them")}
			case opts.Runbook == "" && opts.Drill == "" && opts.Vars.set():
				return errVarsWithoutRunbook
			}
			return nil
		},
		RunE: runE(opts, runF, serveRun),
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Inventory, "inventory", "i", "", "inventory.yaml of the game day")
	f.StringVar(&opts.Listen, "listen", ":2222", "address to serve SSH on")
	f.StringVar(&opts.Keys, "keys", "", "keys file: one line per person, NAME ROLE PUBLIC-KEY")
	f.BoolVar(&opts.ReadOnly, "read-only", false, "nobody arms or reverts faults, whatever their role (an incident bridge)")
	f.StringVar(&opts.Runbook, "runbook", "", "a runbook.yaml a facilitator can start from the screen (key s)")
	f.StringVar(&opts.Drill, "drill", "", "a training drill (see docs/drills.md), started with the session; keys give trainer and trainee roles")
	f.Uint64Var(&opts.Seed, "seed", 0, "seed of the drill's plan (default: a random one, printed at the end)")
	f.BoolVar(&opts.IKnow, "i-know", false, "allow drill candidates marked i-know: true that take down a majority of a service")
	addVarFlags(f, &opts.Vars)
	f.StringVar(&opts.StateDir, "state-dir", "", "where the journal, ledger, host key and audit log live (default $XDG_STATE_HOME/gameday)")
	addMetricsFlag(f, &opts.Metrics)
	return cmd
}

func serveRun(opts *ServeOptions) error {
	keys, err := warroom.LoadKeys(opts.Keys)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	var rb *runbooks.Runbook
	if opts.Runbook != "" {
		if rb, err = loadWithVars(opts.Runbook, opts.Vars, runbooks.Load); err != nil {
			return err
		}
	}
	var dr *drills.Drill
	if opts.Drill != "" {
		if dr, err = loadWithVars(opts.Drill, opts.Vars, drills.Load); err != nil {
			return err
		}
	}
	dir := opts.StateDir
	if dir == "" {
		if dir, err = timeline.StateDir(); err != nil {
			return &ExitError{Code: ExitFailed, Err: err}
		}
	}
	hostKey, created, err := warroom.HostKey(filepath.Join(dir, "serve", "ssh_host_ed25519_key"))
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	audit, err := os.OpenFile(filepath.Join(dir, "serve", "audit.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("audit log: %w", err)}
	}
	defer audit.Close()
	out := opts.IO.Out
	srv, err := warroom.New(warroom.Config{Listen: opts.Listen, Keys: keys, HostKey: hostKey, Audit: io.MultiWriter(audit, out)})
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	metricsLn, err := opts.Metrics.listen()
	if err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	cfg := session.Config{Source: "serve", Targets: inv, Runbook: rb, StateDir: opts.StateDir, ReadOnly: opts.ReadOnly, Shared: true}
	if dr != nil {
		cfg.Drill, cfg.Seed, cfg.IKnow = dr, drillSeed(opts.Seed), opts.IKnow
	}
	sess, err := session.Open(cfg)
	if err != nil {
		srv.Shutdown(context.Background())
		if metricsLn != nil {
			metricsLn.Close()
		}
		return sessionError(err)
	}
	stopMetrics, err := serveMetrics(opts.IO, sess, metricsLn, false)
	if err != nil {
		srv.Shutdown(context.Background())
		sess.Close("failed")
		return err
	}
	defer stopMetrics()
	served := make(chan error, 1)
	go func() {
		served <- srv.Serve(sess, func(a *session.Attachment, r *lipgloss.Renderer) tea.Model {
			o := screenOptions(sess, a, r)
			o.Shared = true
			return tui.New(o)
		})
	}()
	kept := "kept in"
	if created {
		kept = "new, kept in"
	}
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	fmt.Fprintf(out, "gameday serve: session on %s, %d key(s) from %s\n", inventoryName(inv), keys.Len(), keys.Path)
	fmt.Fprintf(out, "listening on %s; host key %s (%s %s)\n", srv.Addr(), warroom.Fingerprint(hostKey), kept, filepath.Join(dir, "serve"))
	fmt.Fprintf(out, "join with: ssh -p %s %s\n", port, joinHost(srv.Addr()))
	fmt.Fprintf(out, "journal: %s\naudit:   %s\n", sess.Path(), audit.Name())
	if metricsLn != nil {
		fmt.Fprintf(out, "metrics: http://%s%s\n", metricsLn.Addr(), metrics.Path)
	}
	if opts.ReadOnly {
		fmt.Fprintln(out, "read-only: nobody arms or reverts faults in this session")
	}
	stopDrill := startDrill(sess, localUser())
	if dr != nil {
		fmt.Fprintf(out, "drill %s started: %d scenario(s); trainees join with the keys file's trainee role\n", dr.Name, len(dr.Scenarios))
	}
	if opts.Ready != nil {
		opts.Ready(srv.Addr())
	}

	sigs := opts.Signals
	if sigs == nil {
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(sigs)
	}
	reason := "server stopped"
	select {
	case sig := <-sigs:
		fmt.Fprintf(out, "%v: closing every screen, reverting what this session armed, writing the report\n", sig)
	case err := <-served:
		reason = "server failed"
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "gameday: serve: %v\n", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	srv.Shutdown(ctx)
	cancel()
	if rb != nil && sess.StopRunbook() {
		fmt.Fprintf(out, "runbook %s: interrupted; it rolled back\n", rb.Name)
	}
	stopDrill(out)
	reason = revertArmed(opts.IO, sess, reason)
	if err := sess.Close(reason); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "gameday: close the session journal: %v\n", err)
	}
	report, err := sess.Report("")
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("write the report: %w", err)}
	}
	fmt.Fprintf(out, "journal: %s\nreport:  %s\n", sess.Path(), report)
	return nil
}

// joinHost is what participants type after ssh -p PORT: the address the
// server listens on, or this machine's name when it listens on every
// address.
func joinHost(a net.Addr) string {
	h, _, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(h); ip == nil || ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil {
			return name
		}
	}
	return h
}
