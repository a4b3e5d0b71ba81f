// Package session owns a live game day: where it records (the state
// directory, the journal and the Recorder feeding it) and how it ends (the
// session.end event and the markdown report). Every command that records a
// game day — the TUI, `gameday lab`, `gameday run`, `gameday serve` and
// the CLI's inject and revert — opens its session here, so that they all
// name, resume, close and report a session the same way.
package session

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// Config describes a session and where it records.
type Config struct {
	// Source says which command runs the session: "tui", "run", "serve",
	// "cli". It is the session.start event's source.
	Source string
	// Inventory names the inventory in the report (its name or path).
	Inventory string
	// Runbook names the runbook that drives the session, if any.
	Runbook string
	// Title replaces the report's default title.
	Title string
	// StateDir holds sessions/ and ledger.jsonl ("" for the default state
	// directory, $XDG_STATE_HOME/gameday).
	StateDir string
	// Journal, when set, appends the session to this journal file instead
	// of creating a new one in the state directory.
	Journal string
	// Resume, when positive, continues the latest session of the state
	// directory instead of starting one, if the same Source started it and
	// wrote to it within Resume; with Journal, it appends to that journal
	// as it is, without a session.start. A resumable session records no
	// session.end: the next command carries on with it.
	Resume time.Duration
	// Deferred opens the journal only when the first event arrives, so a
	// command that ends up recording nothing (a dry run, bad input) leaves
	// no session behind. Opened, if set, is called once with its path.
	Deferred bool
	Opened   func(path string)
}

// Session is an open game day session: a Recorder whose events go to the
// session's journal.
type Session struct {
	cfg  Config
	dir  string
	rec  *timeline.Recorder
	sink *journalSink
}

// Open opens a session as cfg says: a new journal in the state directory
// (with its session.start event), cfg.Journal appended to (with a
// session.start of its own), or a recent session resumed.
func Open(cfg Config) (*Session, error) {
	dir := cfg.StateDir
	if dir == "" {
		d, err := timeline.StateDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	info := timeline.SessionInfo{Source: cfg.Source, Inventory: cfg.Inventory, Runbook: cfg.Runbook, Title: cfg.Title}
	s := &Session{cfg: cfg, dir: dir}
	s.sink = &journalSink{opened: cfg.Opened, open: func() (*timeline.Journal, bool, error) {
		return openJournal(cfg, dir)
	}}
	if cfg.Deferred {
		// The journal opens with the first event; a new session's
		// session.start goes in front of it, outside the Recorder (seq 0).
		s.sink.start = &info
		s.rec = timeline.NewRecorder(timeline.WithSink(s.sink))
		return s, nil
	}
	fresh, err := s.sink.ensure()
	if err != nil {
		return nil, err
	}
	s.rec = timeline.NewRecorder(timeline.WithSink(s.sink))
	if fresh {
		s.rec.Record(info.StartEvent())
	}
	return s, nil
}

// openJournal opens the journal cfg asks for; fresh tells that it starts a
// session, which then needs its session.start.
func openJournal(cfg Config, dir string) (j *timeline.Journal, fresh bool, err error) {
	if cfg.Resume > 0 {
		path, ok := cfg.Journal, cfg.Journal != ""
		if !ok {
			path, ok = resumable(dir, cfg.Source, cfg.Resume)
		}
		if ok {
			j, err := timeline.OpenJournal(path)
			return j, false, err
		}
	}
	if cfg.Journal != "" {
		j, err = timeline.OpenJournal(cfg.Journal)
	} else {
		j, err = timeline.CreateSessionJournal(dir, time.Now())
	}
	return j, err == nil, err
}

// resumable returns the latest session under dir when source started it
// and it was written to within span.
func resumable(dir, source string, span time.Duration) (string, bool) {
	path, err := timeline.LatestSession(dir)
	if err != nil {
		return "", false
	}
	fi, err := os.Stat(path)
	if err != nil || time.Since(fi.ModTime()) > span {
		return "", false
	}
	events, _, err := timeline.LoadJournal(path)
	if err != nil || len(events) == 0 {
		return "", false
	}
	first := events[0]
	return path, first.Kind == timeline.SessionStart && first.Source == source
}

// Recorder is where the session's events go.
func (s *Session) Recorder() *timeline.Recorder { return s.rec }

// Path is the journal's path ("" while a deferred journal is not open).
func (s *Session) Path() string { return s.sink.path() }

// StateDir is the state directory the session records in.
func (s *Session) StateDir() string { return s.dir }

// LedgerPath is the fault ledger of the session's state directory; ""
// means the default one (the state directory was not chosen).
func (s *Session) LedgerPath() string {
	if s.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(s.cfg.StateDir, "ledger.jsonl")
}

// Close records session.end with reason (unless the session is
// resumable), writes every event to the journal and closes it. It returns
// the first error the journal reported.
func (s *Session) Close(reason string) error {
	if s.cfg.Resume <= 0 && s.sink.path() != "" {
		s.rec.Record(timeline.NewEvent(timeline.SessionEnd, "gameday", "session ended: %s", reason).With("reason", reason))
	}
	s.rec.Close()
	return errors.Join(s.rec.Err(), s.sink.Close())
}

// Report writes the markdown report of the session to out ("" for beside
// the journal), atomically and 0600, and returns its path. Call it after
// Close, or after Recorder().Flush() for a report of the session so far.
func (s *Session) Report(out string) (string, error) {
	path := s.Path()
	if path == "" {
		return "", errors.New("the session recorded nothing, so it has no report")
	}
	return timeline.WriteSessionReport(path, out)
}

// journalSink is the Recorder's sink: the session journal, opened on first
// use when the session is deferred.
type journalSink struct {
	open   func() (*timeline.Journal, bool, error)
	opened func(path string)
	start  *timeline.SessionInfo // deferred: written before the first event of a fresh session

	mu sync.Mutex
	j  *timeline.Journal
}

var _ timeline.BatchSink = (*journalSink)(nil)

// ensure opens the journal if it is not open yet; fresh tells that this
// call opened a journal that starts a session.
func (js *journalSink) ensure() (fresh bool, err error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.j != nil {
		return false, nil
	}
	j, fresh, err := js.open()
	if err != nil {
		return false, err
	}
	js.j = j
	if js.opened != nil {
		js.opened(j.Path())
	}
	return fresh, nil
}

func (js *journalSink) path() string {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.j == nil {
		return ""
	}
	return js.j.Path()
}

// Append appends one event.
func (js *journalSink) Append(e timeline.Event) error {
	return js.AppendBatch([]timeline.Event{e})
}

// AppendBatch appends evs, opening the journal first if needed.
func (js *journalSink) AppendBatch(evs []timeline.Event) error {
	fresh, err := js.ensure()
	if err != nil {
		return err
	}
	if fresh && js.start != nil {
		start := js.start.StartEvent()
		start.Time = evs[0].Time
		evs = append([]timeline.Event{start}, evs...)
	}
	js.mu.Lock()
	j := js.j
	js.mu.Unlock()
	return j.AppendBatch(evs)
}

// Close closes the journal if it was opened.
func (js *journalSink) Close() error {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.j == nil {
		return nil
	}
	return js.j.Close()
}

// CLISource is the source of the sessions `gameday inject` and `gameday
// revert` record into.
const CLISource = "cli"

// CLIResume is how long after its last event a CLI session (gameday inject
// and revert without --journal) takes more commands, so that an inject,
// its revert and whatever came between in one game day export together
// with `gameday export --last`.
const CLIResume = 12 * time.Hour

// NoteOpened returns an Opened callback that prints the journal's path
// once on w, with how to export it.
func NoteOpened(w io.Writer) func(string) {
	return func(path string) { fmt.Fprintf(w, "timeline: %s (gameday export --last)\n", path) }
}
