package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/drills"
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
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case opts.Last && len(args) > 0:
				return &ExitError{Code: ExitBadInput, Err: errors.New("give a JOURNAL file or --last, not both")}
			case !opts.Last && len(args) != 1:
				return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("export needs exactly one JOURNAL file (or --last), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Journal = args[0]
			}
			if opts.Format != "markdown" && opts.Format != "json" {
				return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("--format %q: must be markdown or json", opts.Format)}
			}
			if runF != nil {
				return runF(opts)
			}
			return exportRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the report to this file instead of standard output")
	cmd.Flags().StringVar(&opts.Format, "format", "markdown", "report format: markdown or json")
	cmd.Flags().StringVar(&opts.Title, "title", "", "report title (default: from the journal)")
	cmd.Flags().BoolVar(&opts.Last, "last", false, "export the most recent session in the state directory")
	cmd.Flags().BoolVar(&opts.All, "all", false, "when several runs appended to the journal, report them together instead of only the last")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"markdown", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func exportRun(opts *ExportOptions) error {
	if opts.Last {
		dir, err := timeline.StateDir()
		if err == nil {
			opts.Journal, err = timeline.LatestSession(dir)
		}
		if err != nil {
			return &ExitError{Code: ExitBadInput, Err: err}
		}
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
