package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// cliSessionSource marks the sessions inject and revert record into when
// no --journal is given.
const cliSessionSource = "cli"

// cliSessionSpan is how long after its last event a CLI session takes
// more commands, so that an inject, its revert and whatever came between
// in one game day export together with `gameday export --last`.
const cliSessionSpan = 12 * time.Hour

// cliJournal is the Sink of inject and revert without --journal: the CLI
// session journal in the state directory, opened on the first event so
// that bad input and dry runs leave no session behind. It prints the
// journal's path once, when it opens it.
type cliJournal struct {
	inventory string
	note      io.Writer

	mu sync.Mutex
	j  *timeline.Journal
}

// Append appends one event.
func (c *cliJournal) Append(e timeline.Event) error { return c.AppendBatch([]timeline.Event{e}) }

// AppendBatch opens the journal on first use and appends evs to it.
func (c *cliJournal) AppendBatch(evs []timeline.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.j == nil {
		j, err := openCLISession(c.inventory)
		if err != nil {
			return err
		}
		c.j = j
		fmt.Fprintf(c.note, "timeline: %s (gameday export --last)\n", j.Path())
	}
	return c.j.AppendBatch(evs)
}

// Close closes the journal if it was opened.
func (c *cliJournal) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.j == nil {
		return nil
	}
	return c.j.Close()
}

// openCLISession opens the most recent session in the state directory
// when a CLI command started it and wrote to it within cliSessionSpan,
// else a new session (which records session.start).
func openCLISession(inventory string) (*timeline.Journal, error) {
	dir, err := timeline.StateDir()
	if err != nil {
		return nil, err
	}
	if path, ok := resumableCLISession(dir); ok {
		return timeline.OpenJournal(path)
	}
	s, err := timeline.OpenSession(dir, timeline.SessionInfo{Source: cliSessionSource, Inventory: inventory, Title: "Game day (gameday inject/revert)"})
	if err != nil {
		return nil, err
	}
	// The session's own recorder only wrote session.start; the command's
	// recorder appends the rest.
	s.Recorder.Close()
	if err := s.Recorder.Err(); err != nil {
		s.Journal.Close()
		return nil, err
	}
	return s.Journal, nil
}

// resumableCLISession returns the latest session under dir when it is a
// CLI session written to within cliSessionSpan.
func resumableCLISession(dir string) (string, bool) {
	path, err := timeline.LatestSession(dir)
	if err != nil {
		return "", false
	}
	fi, err := os.Stat(path)
	if err != nil || time.Since(fi.ModTime()) > cliSessionSpan {
		return "", false
	}
	events, _, err := timeline.LoadJournal(path)
	if err != nil || len(events) == 0 {
		return "", false
	}
	first := events[0]
	return path, first.Kind == timeline.SessionStart && first.Source == cliSessionSource
}
