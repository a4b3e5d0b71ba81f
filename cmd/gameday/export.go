package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// ExportOptions are the inputs of `gameday export`.
type ExportOptions struct {
	IO      *IOStreams
	Journal string // the session's .jsonl file
	Last    bool   // export the most recent session in the state directory
	All     bool   // report every session of an appended journal together
	Output  string // "" or "-": standard output
	Format  string // "markdown" or "json"
	Title   string // replaces the title from the journal
	// Review is a review journal whose notes the report includes, marked
	// as review notes ("": NAME.review.jsonl beside the journal, if there
	// is one); NoReview leaves them out.
	Review   string
	NoReview bool
}

// NewCmdExport builds `gameday export`. runF, when set, receives the parsed
// and checked options instead of running the export (tests).
func NewCmdExport(io *IOStreams, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "export {JOURNAL | --last}",
		Short: "Write the markdown timeline (or its JSON) of a session journal",
		Long: `gameday export reads a session journal (a .jsonl file in the state
directory, ~/.local/state/gameday/sessions by default) and writes the report a
team pastes into its wiki: verdict, hypothesis, each fault with its time to
detect and time to recover, Mermaid charts and the full event table. A journal
cut short by a crash still exports, with a warning. See docs/report.md.`,
		Example: `  gameday export ~/.local/state/gameday/sessions/2026-11-25T083000Z.jsonl -o timeline.md
  gameday export --last -o timeline.md      # the most recent session
  gameday export journal.jsonl --format json | jq '.faults[].time_to_recover_s'`,
		Args: journalArgs("export", &opts.Last),
		PreRunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Journal = args[0]
			}
			if opts.Format != "markdown" && opts.Format != "json" {
				return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("--format %q: must be markdown or json", opts.Format)}
			}
			return nil
		},
		RunE: runE(opts, runF, exportRun),
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the report to this file instead of standard output")
	cmd.Flags().StringVar(&opts.Format, "format", "markdown", "report format: markdown or json")
	cmd.Flags().StringVar(&opts.Title, "title", "", "report title (default: from the journal)")
	cmd.Flags().BoolVar(&opts.Last, "last", false, "export the most recent session in the state directory")
	cmd.Flags().BoolVar(&opts.All, "all", false, "when several runs appended to the journal, report them together instead of only the last")
	cmd.Flags().StringVar(&opts.Review, "review", "", "include the review notes of this review journal (default: NAME.review.jsonl beside the journal, when there is one)")
	cmd.Flags().BoolVar(&opts.NoReview, "no-review", false, "leave review notes out")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"markdown", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func exportRun(opts *ExportOptions) error {
	if err := lastJournal(opts.Last, &opts.Journal); err != nil {
		return err
	}
	events, warns, err := timeline.LoadJournal(opts.Journal)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: journalError(opts.Journal, err)}
	}
	for _, w := range timeline.WarningLines(warns, timeline.MaxReportWarnings) {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", w)
	}
	if parts := timeline.SplitSessions(events); len(parts) > 1 && !opts.All {
		events = parts[len(parts)-1]
		fmt.Fprintf(opts.IO.ErrOut, "%s holds %d sessions; exporting the last one (--all reports them together)\n", opts.Journal, len(parts))
	}
	if events, err = withReview(opts, events); err != nil {
		return err
	}
	report := timeline.BuildReport(events, timeline.ReportOptions{
		Title: opts.Title, Journal: opts.Journal, Warnings: warns,
	})
	write := func(w io.Writer) error {
		// A drill's journal: its truths and score table follow the report.
		if err := report.WriteMarkdown(w); err != nil {
			return err
		}
		return drills.WriteReport(w, events)
	}
	if opts.Format == "json" {
		// A drill's journal: the same truths and scores, as "drill".
		if b, ok := drills.Scored(events); ok {
			report.Drill = b
		}
		write = report.WriteJSON
	}
	if opts.Output == "" || opts.Output == "-" {
		return write(opts.IO.Out)
	}
	if err := timeline.WriteFileAtomic(opts.Output, write); err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %s (%d events)\n", opts.Output, len(events))
	return nil
}

// withReview merges the review notes the export includes into events, at
// their times, and says so.
func withReview(opts *ExportOptions, events []timeline.Event) ([]timeline.Event, error) {
	review := opts.Review
	switch {
	case opts.NoReview && review != "":
		return nil, &ExitError{Code: ExitBadInput, Err: errors.New("give --review FILE or --no-review, not both")}
	case opts.NoReview:
		return events, nil
	case review == "":
		review = session.ReviewPath(opts.Journal)
		if _, err := os.Stat(review); err != nil {
			return events, nil // no review of this session
		}
	default:
		if _, err := os.Stat(review); err != nil {
			return nil, &ExitError{Code: ExitBadInput, Err: journalError(review, err)}
		}
	}
	notes, warns, err := session.ReadReview(review)
	if err != nil {
		return nil, &ExitError{Code: ExitBadInput, Err: journalError(review, err)}
	}
	for _, w := range timeline.WarningLines(warns, timeline.MaxReportWarnings) {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", w)
	}
	if len(notes) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "including %d review notes from %s\n", len(notes), review)
	}
	return session.MergeNotes(events, notes), nil
}

// journalArgs checks the arguments of a command that reads one session
// journal: JOURNAL, or --last for the latest one.
func journalArgs(verb string, last *bool) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case *last && len(args) > 0:
			return &ExitError{Code: ExitBadInput, Err: errors.New("give a JOURNAL file or --last, not both")}
		case !*last && len(args) != 1:
			return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("%s needs exactly one JOURNAL file (or --last), got %d arguments", verb, len(args))}
		}
		return nil
	}
}

// lastJournal sets journal to the latest session of the state directory
// when last is set.
func lastJournal(last bool, journal *string) error {
	if !last {
		return nil
	}
	dir, err := timeline.StateDir()
	if err == nil {
		*journal, err = timeline.LatestSession(dir)
	}
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	return nil
}

// journalError turns a load failure into one sentence naming the file.
func journalError(path string, err error) error {
	var nj *timeline.NotJournalError
	if errors.As(err, &nj) {
		return err // already one sentence naming the file
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("journal %s does not exist", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read journal %s: %v", path, err)
}
