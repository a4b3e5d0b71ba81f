package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/tui"
)

// TUIOptions are the inputs of the root command's default action,
// `gameday -i inventory.yaml`.
type TUIOptions struct {
	IO        *IOStreams
	Inventory string
	ReadOnly  bool
	// Runbook is a runbook.yaml the operator can start from the screen.
	Runbook string
	// Vars set the runbook's variables (--var, --var-file).
	Vars VarOptions
	// StateDir holds the session journal and the ledger ("" for the
	// default state directory).
	StateDir string
	// Metrics serves the session's /metrics (--metrics-listen).
	Metrics MetricsOptions
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
	addVarFlags(f, &opts.Vars)
	addMetricsFlag(f, &opts.Metrics)
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
	switch {
	case opts.Runbook != "" && opts.ReadOnly:
		return &ExitError{Code: ExitBadInput, Err: errors.New("--runbook arms faults, so it cannot go with --read-only")}
	case opts.Runbook != "":
		if rb, err = loadWithVars(opts.Runbook, opts.Vars, runbooks.Load); err != nil {
			return err
		}
	case opts.Vars.set():
		return errVarsWithoutRunbook
	}
	ln, err := opts.Metrics.listen()
	if err != nil {
		return err
	}
	return openTUI(opts.IO, inv, rb, opts.StateDir, opts.ReadOnly, ln)
}

func init() {
	// Bare `gameday lab` opens the TUI on the lab it started.
	labOpenTUI = func(io *IOStreams, l *lab.Lab, metrics net.Listener) error {
		return openTUI(io, l.Inventory(), nil, "", false, metrics)
	}
}

// openTUI runs a TUI session on inv: a live session (journal, probes,
// fault manager) with this terminal attached as its one screen. It
// returns when the operator quits, after closing the journal and writing
// its markdown timeline next to it. metrics, when set, serves the
// session's /metrics until then.
func openTUI(stdio *IOStreams, inv *targets.Inventory, rb *runbooks.Runbook, stateDir string, readOnly bool, metrics net.Listener) (err error) {
	role := session.Facilitator
	if readOnly {
		role = session.Scribe
	}
	return openScreen(stdio, session.Config{Source: "tui", Targets: inv, Runbook: rb, StateDir: stateDir, ReadOnly: readOnly}, role, metrics)
}

// openScreen opens the session cfg describes and this terminal's screen on
// it for the local user in role; a drill session starts its drill at once
// and stops it (reverting its fault) when the screen quits. metrics, when
// set, serves the session's /metrics until then.
func openScreen(stdio *IOStreams, cfg session.Config, role session.Role, metrics net.Listener) (err error) {
	if f, ok := stdio.In.(*os.File); !ok || !term.IsTerminal(f.Fd()) {
		if metrics != nil {
			metrics.Close()
		}
		return &ExitError{Code: ExitBadInput, Err: errors.New("the TUI needs a terminal on standard input; for scripts use gameday probe, gameday inject or gameday run")}
	}
	// Nothing may print onto the screen while the TUI owns it.
	log.SetOutput(io.Discard)
	defer log.SetOutput(os.Stderr)

	rb, readOnly := cfg.Runbook, cfg.ReadOnly
	sess, err := session.Open(cfg)
	if err != nil {
		if metrics != nil {
			metrics.Close()
		}
		return sessionError(err)
	}
	stopMetrics, err := serveMetrics(stdio, sess, metrics, false)
	if err != nil {
		sess.Close("failed")
		return err
	}
	reason := "quit"
	defer func() {
		if cerr := sess.Close(reason); cerr != nil && err == nil {
			err = &ExitError{Code: ExitFailed, Err: fmt.Errorf("close the session journal: %w", cerr)}
		}
		stopMetrics()
		md, werr := sess.Report("")
		if werr != nil {
			fmt.Fprintf(stdio.ErrOut, "gameday: write the timeline: %v\n", werr)
			return
		}
		fmt.Fprintf(stdio.Out, "journal:  %s\ntimeline: %s\n", sess.Path(), md)
	}()
	// A spectator screen (--read-only) still writes notes, as it always
	// has: the session, not the role, keeps it from arming.
	att, err := sess.Attach(session.Person{Name: localUser(), Role: role})
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	defer att.Detach()
	model := tui.New(screenOptions(sess, att, nil))
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
	stopDrill := startDrill(sess, att.Who())
	_, runErr := p.Run()
	if rb != nil && sess.StopRunbook() {
		fmt.Fprintf(stdio.Out, "runbook %s: interrupted; it rolled back\n", rb.Name)
	}
	stopDrill(stdio.Out)
	if !readOnly {
		// With no choice made in the quit dialog (a signal, a broken
		// terminal), this reverts what the session armed.
		reason = finishFaults(stdio, sess, model.Outcome())
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrInterrupted) {
		reason = "error: " + runErr.Error()
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("terminal UI: %w", runErr)}
	}
	return nil
}

// sessionError maps a failure to open a session to an exit status: bad
// input is 2, anything else 1.
func sessionError(err error) error {
	var bad *session.BadInput
	if errors.As(err, &bad) {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	return &ExitError{Code: ExitFailed, Err: fmt.Errorf("open the session: %w", err)}
}

// localUser names the person at the local screen.
func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}

// finishFaults settles this session's faults after the screen closed. The
// operator chose in the quit dialog; a screen that ended without that
// choice (a signal) reverts what this session armed, since an interrupted
// game day must not leave faults behind.
func finishFaults(stdio *IOStreams, sess *session.Session, out tui.Outcome) string {
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
	return revertArmed(stdio, sess, "interrupted")
}

// revertArmed reverts what the session armed and says so; it returns the
// session's end reason.
func revertArmed(stdio *IOStreams, sess *session.Session, why string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := sess.RevertArmed(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(stdio.ErrOut, "gameday: %v; the TTL guards still revert them\n", err)
		return why + "; revert failed"
	case n == 0:
		return why
	}
	fmt.Fprintf(stdio.Out, "%s: reverted %d fault(s) this session armed\n", why, n)
	return why + "; faults reverted"
}
