package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui"
)

// ReplayOptions are the inputs of `gameday replay`.
type ReplayOptions struct {
	IO      *IOStreams
	Journal string
	Last    bool   // the most recent session of the state directory
	At      string // where the cursor starts: TIME or +OFFSET
	Speed   int    // 0: paused; else play at once at this speed
	Review  string // the review journal ("": beside the journal)
	All     bool   // every session of an appended journal
	// Print renders one screen of Size at the cursor on standard output
	// instead of opening the TUI.
	Print bool
	Size  string
}

// NewCmdReplay builds `gameday replay`. runF, when set, receives the
// parsed options instead (tests).
func NewCmdReplay(io *IOStreams, runF func(*ReplayOptions) error) *cobra.Command {
	opts := &ReplayOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "replay {JOURNAL | --last} [--at TIME|+OFFSET] [--speed N]",
		Short: "Open the TUI on a recorded session, as of a time cursor you move",
		Long: `gameday replay opens the war-room screen, read-only, on a recorded session (any
journal: the TUI's, gameday serve's, a runbook run's, CLI injects and reverts;
one cut short by a crash replays with the same warning the export gives). The
probe table, sparklines, armed faults and timeline show the session as it was
at the cursor: ←/→ move it a second (shift: ten), [ and ] jump between faults,
breaches, recoveries, switches and notes, g/G go to the start and the end,
space plays (+/- for 1×, 10×, 60×, 600×). n writes a review note at the
cursor into NAME.review.jsonl beside the journal, never into the journal; gameday
export of the journal includes them. See docs/replay.md.`,
		Example: `  gameday replay --last
  gameday replay ~/.local/state/gameday/sessions/2026-11-25T140000Z.jsonl --at 14:02:04
  gameday replay session.jsonl --at +2m --speed 10
  gameday replay session.jsonl --at 14:02:15 --print    # the screen then, as text`,
		Args: journalArgs("replay", &opts.Last),
		PreRunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Journal = args[0]
			}
			if opts.Speed != 0 && !slices.Contains(tui.Speeds, opts.Speed) {
				return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("--speed %d: the replay plays at %s", opts.Speed, speeds())}
			}
			return nil
		},
		RunE: runE(opts, runF, replayRun),
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Last, "last", false, "replay the most recent session of the state directory")
	f.StringVar(&opts.At, "at", "", "where the cursor starts: a time of day (14:02:04, UTC as the screen shows), an RFC 3339 time, or +OFFSET from the start (+2m30s)")
	f.IntVar(&opts.Speed, "speed", 0, "start playing at once at this speed ("+speeds()+")")
	f.StringVar(&opts.Review, "review", "", "the review journal notes go to and are read from (default NAME.review.jsonl beside the journal)")
	f.BoolVar(&opts.All, "all", false, "when several runs appended to the journal, replay them together instead of only the last")
	f.BoolVar(&opts.Print, "print", false, "print the screen at the cursor as text and exit (no terminal needed)")
	f.StringVar(&opts.Size, "size", "120x36", "with --print: the screen's size, WIDTHxHEIGHT")
	return cmd
}

func speeds() string {
	s := make([]string, len(tui.Speeds))
	for i, v := range tui.Speeds {
		s[i] = fmt.Sprintf("%d×", v)
	}
	return strings.Join(s, ", ")
}

func replayRun(opts *ReplayOptions) (err error) {
	if err := lastJournal(opts.Last, &opts.Journal); err != nil {
		return err
	}
	if session.IsReview(opts.Journal) {
		return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s holds review notes, not a session: replay the journal it reviews (%s)",
			opts.Journal, strings.TrimSuffix(opts.Journal, ".review.jsonl")+".jsonl")}
	}
	w, h, err := parseSize(opts.Size)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	sess, err := session.OpenReplay(session.ReplayConfig{Journal: opts.Journal, Review: opts.Review, All: opts.All, Person: localUser()})
	if err != nil {
		var bad *session.BadInput
		if errors.As(err, &bad) {
			return &ExitError{Code: ExitBadInput, Err: err}
		}
		return &ExitError{Code: ExitBadInput, Err: journalError(opts.Journal, err)}
	}
	defer func() {
		if cerr := sess.Close("review over"); cerr != nil && err == nil {
			err = &ExitError{Code: ExitFailed, Err: cerr}
		}
		if p := sess.Path(); p != "" {
			fmt.Fprintf(opts.IO.Out, "review notes: %s (gameday export %s includes them)\n", p, opts.Journal)
		}
	}()
	if !opts.Print {
		if f, ok := opts.IO.In.(*os.File); !ok || !term.IsTerminal(f.Fd()) {
			return &ExitError{Code: ExitBadInput, Err: errors.New("the replay needs a terminal on standard input; gameday replay --print prints one screen without it")}
		}
	}
	r := sess.Replay()
	notice := ""
	if lines := timeline.WarningLines(r.Warnings(), timeline.MaxReportWarnings); len(lines) > 0 {
		for _, l := range lines {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", l)
		}
		notice = "warning: " + lines[0]
	}
	if n := r.Sessions(); n > 1 && !opts.All {
		fmt.Fprintf(opts.IO.ErrOut, "%s holds %d sessions; replaying the last one (--all replays them together)\n", opts.Journal, n)
	}
	att, err := sess.Attach(session.Person{Name: localUser(), Role: session.Facilitator})
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	defer att.Detach()
	if opts.At != "" {
		start, end := r.Span()
		at, err := parseAt(opts.At, start, end)
		if err != nil {
			return &ExitError{Code: ExitBadInput, Err: err}
		}
		if err := att.Seek(at); err != nil {
			return &ExitError{Code: ExitFailed, Err: err}
		}
	}
	o := tui.Options{
		Inventory:   &targets.Inventory{Name: r.Inventory()},
		Feed:        att,
		Faults:      att,
		Notes:       att,
		Seat:        att,
		Cursor:      att,
		JournalPath: opts.Journal,
		Notice:      notice,
		Play:        opts.Speed,
		// e writes the report of the session with its review notes.
		Export: func() (string, error) { return sess.Report("") },
	}
	if opts.Print {
		fmt.Fprintln(opts.IO.Out, tui.Render(o, w, h))
		return nil
	}
	log.SetOutput(nopWriter{}) // nothing may print onto the screen while the TUI owns it
	defer log.SetOutput(os.Stderr)
	p := tea.NewProgram(tui.New(o), tea.WithAltScreen(), tea.WithInput(opts.IO.In), tea.WithOutput(opts.IO.Out))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrInterrupted) {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("terminal UI: %w", err)}
	}
	return nil
}

type nopWriter struct{}

func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }

// parseAt reads --at: "+OFFSET" from the session's start (+90s, +2m4s), a
// time of day (14:02:04 or 14:02) on the session's day as the screen
// shows it (UTC), or an RFC 3339 time; it must fall within the session.
func parseAt(s string, start, end time.Time) (time.Time, error) {
	var at time.Time
	switch {
	case strings.HasPrefix(s, "+"):
		d, err := time.ParseDuration(s[1:])
		if err != nil {
			return at, fmt.Errorf("--at %s: an offset from the start is a duration such as +90s or +2m4s", s)
		}
		at = start.Add(d)
	default:
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			at = t
			break
		}
		var clock time.Time
		var err error
		for _, layout := range []string{time.TimeOnly, "15:04"} {
			if clock, err = time.Parse(layout, s); err == nil {
				break
			}
		}
		if err != nil {
			return at, fmt.Errorf("--at %s: give a time of day (14:02:04), an RFC 3339 time or +OFFSET from the start (+2m)", s)
		}
		day := start.UTC()
		at = time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), clock.Second(), 0, time.UTC)
		for at.Before(start.Truncate(time.Second)) && !at.After(end) {
			at = at.Add(24 * time.Hour) // a session that runs past midnight
		}
	}
	if at.Before(start.Truncate(time.Second)) || at.After(end) {
		return at, fmt.Errorf("--at %s: the session runs from %s to %s (UTC)", s, start.UTC().Format(time.DateTime), end.UTC().Format(time.DateTime))
	}
	return at, nil
}

// parseSize reads WIDTHxHEIGHT.
func parseSize(s string) (w, h int, err error) {
	if _, err := fmt.Sscanf(s, "%dx%d", &w, &h); err != nil || w < tui.MinWidth || h < tui.MinHeight {
		return 0, 0, fmt.Errorf("--size %s: give WIDTHxHEIGHT, at least %dx%d", s, tui.MinWidth, tui.MinHeight)
	}
	return w, h, nil
}
