package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui"
	probespane "github.com/gameday-dev/gameday/tui/panes/probes"
)

// TUIOptions are the inputs of the root command's default action,
// `gameday -i inventory.yaml`.
type TUIOptions struct {
	IO        *IOStreams
	Inventory string
	ReadOnly  bool
	// Runbook is a runbook.yaml the operator can start from the screen.
	Runbook string
	// StateDir holds the session journal and the ledger ("" for the
	// default state directory).
	StateDir string
}

// addTUI makes the root command open the TUI when given an inventory.
// runF, when set, receives the parsed options instead (tests).
func addTUI(cmd *cobra.Command, io *IOStreams, runF func(*TUIOptions) error) {
	opts := &TUIOptions{IO: io}
	f := cmd.Flags()
	f.StringVarP(&opts.Inventory, "inventory", "i", "", "open the TUI against this inventory.yaml")
	f.BoolVar(&opts.ReadOnly, "read-only", false, "spectator screen: probes and timeline only, no arming or reverting keys")
	f.StringVar(&opts.Runbook, "runbook", "", "a runbook.yaml to start from the screen (key s); each of its injects asks first")
	f.StringVar(&opts.StateDir, "state-dir", "", "where the session journal and the fault ledger live (default $XDG_STATE_HOME/gameday)")
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if opts.Inventory == "" {
			return c.Help()
		}
		if runF != nil {
			return runF(opts)
		}
		return tuiRun(opts)
	}
}

func tuiRun(opts *TUIOptions) error {
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	var rb *runbooks.Runbook
	if opts.Runbook != "" {
		if opts.ReadOnly {
			return &ExitError{Code: ExitBadInput, Err: errors.New("--runbook arms faults, so it cannot go with --read-only")}
		}
		if rb, err = runbooks.Load(opts.Runbook); err != nil {
			return &ExitError{Code: ExitBadInput, Err: err}
		}
	}
	return openTUI(opts.IO, inv, rb, opts.StateDir, opts.ReadOnly)
}

func init() {
	// Bare `gameday lab` opens the TUI on the lab it started.
	labOpenTUI = func(io *IOStreams, l *lab.Lab) error {
		return openTUI(io, l.Inventory(), nil, "", false)
	}
}

// openTUI runs a TUI session on inv: a fresh session journal, the probes,
// the fault manager, and the screen. It returns when the operator quits,
// after closing the journal and writing its markdown timeline next to it.
func openTUI(stdio *IOStreams, inv *targets.Inventory, rb *runbooks.Runbook, stateDir string, readOnly bool) (err error) {
	if f, ok := stdio.In.(*os.File); !ok || !term.IsTerminal(f.Fd()) {
		return &ExitError{Code: ExitBadInput, Err: errors.New("the TUI needs a terminal on standard input; for scripts use gameday probe, gameday inject or gameday run")}
	}
	// Nothing may print onto the screen while the TUI owns it.
	log.SetOutput(io.Discard)
	defer log.SetOutput(os.Stderr)

	cfg := session.Config{Source: "tui", Inventory: inv.Name, StateDir: stateDir}
	if rb != nil {
		cfg.Runbook = rb.Name
	}
	sess, err := session.Open(cfg)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("open the session journal: %w", err)}
	}
	rec := sess.Recorder()
	sub := rec.Subscribe(8192)
	reason := "quit"
	defer func() {
		sub.Close()
		if cerr := sess.Close(reason); cerr != nil && err == nil {
			err = &ExitError{Code: ExitFailed, Err: fmt.Errorf("close the session journal: %w", cerr)}
		}
		md, werr := sess.Report("")
		if werr != nil {
			fmt.Fprintf(stdio.ErrOut, "gameday: write the timeline: %v\n", werr)
			return
		}
		fmt.Fprintf(stdio.Out, "journal:  %s\ntimeline: %s\n", sess.Path(), md)
	}()

	// A read-only screen opens the ledger too, to show what others armed;
	// it never arms or reverts anything.
	mgr, err := inject.NewManager(inv, rec, sess.LedgerPath())
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("open the fault ledger: %w", err)}
	}
	defer mgr.Close()

	set, err := probes.NewSet(inv, rec, probes.Options{})
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	ctx, cancel := context.WithCancel(context.Background())
	probesDone := make(chan struct{})
	go func() { defer close(probesDone); set.Run(ctx) }()
	defer func() { cancel(); <-probesDone }()

	var known []probespane.Known
	var expected []runbooks.ProbeKey
	for _, p := range set.Probes() {
		known = append(known, probespane.Known{Probe: p.Probe, Target: p.Target, Thresholds: p.Thresholds})
		expected = append(expected, runbooks.ProbeKey{Probe: p.Probe, Target: p.Target})
	}
	if rb != nil {
		if err := rb.Check(inv, expected); err != nil {
			reason = "bad runbook"
			return &ExitError{Code: ExitBadInput, Err: err}
		}
	}
	o := tui.Options{
		Inventory:   inv,
		Kinds:       inject.Kinds(),
		Events:      sub.C(),
		Recorder:    rec,
		JournalPath: sess.Path(),
		Probes:      known,
		ReadOnly:    readOnly,
		Export: func() (string, error) {
			if err := rec.Flush(); err != nil {
				return "", err
			}
			return sess.Report("")
		},
	}
	o.Faults = mgr
	stopRunbook := func() {}
	if rb != nil && !readOnly {
		o.Runbook, stopRunbook = tuiRunbook(stdio, rb, inv, mgr, rec, expected)
	}
	model := tui.New(o)
	p := tea.NewProgram(model, tea.WithAltScreen(), tea.WithInput(stdio.In), tea.WithOutput(stdio.Out))
	// Bubble Tea ends on SIGINT and SIGTERM; a closed terminal (SIGHUP)
	// must end it the same way, so that this session's faults get reverted
	// below instead of the process dying with them armed.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		if _, ok := <-hup; ok {
			p.Quit()
		}
	}()
	_, runErr := p.Run()
	stopRunbook()
	if !readOnly {
		// With no choice made in the quit dialog (a signal, a broken
		// terminal), this reverts what the session armed.
		reason = finishFaults(stdio, mgr, model.Outcome())
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrInterrupted) {
		reason = "error: " + runErr.Error()
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("terminal UI: %w", runErr)}
	}
	return nil
}

// tuiRunbook wires a runbook to the screen: the runner asks the screen
// before every inject. stop, called once the screen has closed, interrupts
// a runbook still running and waits for its rollback.
func tuiRunbook(stdio *IOStreams, rb *runbooks.Runbook, inv *targets.Inventory, mgr *inject.Manager, rec *timeline.Recorder, expected []runbooks.ProbeKey) (*tui.Runbook, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Bool
	done := make(chan struct{})
	r := &tui.Runbook{Name: rb.Name, Run: func(ask func(context.Context, inject.Preview) (bool, error)) (string, string, error) {
		started.Store(true)
		defer close(done)
		runner := &runbooks.Runner{
			Runbook: rb, Faults: mgr, Recorder: rec, Expected: expected,
			Hosts:         runbooks.InventoryHosts{Inv: inv},
			ConfirmInject: ask,
		}
		res, err := runner.Run(ctx)
		if err != nil {
			return "", "", err
		}
		if res.RollbackErr != nil {
			return res.Verdict, "rollback failed: " + res.RollbackErr.Error(), nil
		}
		return res.Verdict, res.Reason, nil
	}}
	stop := func() {
		cancel()
		if started.Load() {
			select {
			case <-done:
			default:
				fmt.Fprintf(stdio.Out, "runbook %s: interrupted, rolling back\n", rb.Name)
				<-done
			}
		}
	}
	return r, stop
}

// finishFaults settles this session's faults after the screen closed. The
// operator chose in the quit dialog; a screen that ended without that
// choice (a signal) reverts what this session armed, since an interrupted
// game day must not leave faults behind.
func finishFaults(stdio *IOStreams, mgr *inject.Manager, out tui.Outcome) string {
	switch {
	case out.Reverted:
		fmt.Fprintln(stdio.Out, "every armed fault was reverted before quitting")
		return "quit after reverting every fault"
	case len(out.LeftArmed) > 0:
		for _, f := range out.LeftArmed {
			fmt.Fprintf(stdio.Out, "left armed: %s %s on %s; its guard reverts it at %s (or: gameday revert %s)\n",
				f.ID, f.Request.Kind, strings.Join(f.Request.Hosts, ","), f.Deadline.Format(time.TimeOnly), f.ID)
		}
		return "quit leaving faults to their TTL guards"
	}
	ours, err := sessionFaults(mgr)
	if err != nil || len(ours) == 0 {
		return "quit"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	for _, f := range ours {
		if _, err := mgr.Revert(ctx, f.ID); err != nil {
			errs = append(errs, fmt.Errorf("revert %s: %w", f.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stdio.ErrOut, "gameday: %v; the TTL guards still revert them\n", err)
		return "interrupted; revert failed"
	}
	fmt.Fprintf(stdio.Out, "interrupted: reverted %d fault(s) this session armed\n", len(ours))
	return "interrupted; faults reverted"
}

// sessionFaults lists the active faults this process armed: the active
// ones that are not another session's orphans.
func sessionFaults(mgr *inject.Manager) ([]inject.Armed, error) {
	active, err := mgr.List(true)
	if err != nil {
		return nil, err
	}
	orphans, err := mgr.Orphans()
	if err != nil {
		return nil, err
	}
	other := map[string]bool{}
	for _, o := range orphans {
		other[o.ID] = true
	}
	var ours []inject.Armed
	for _, a := range active {
		if !other[a.ID] {
			ours = append(ours, a)
		}
	}
	return ours, nil
}
