package timeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/internal/xdg"
)

// StateDir returns gameday's state directory, creating it (0700) if needed:
// $XDG_STATE_HOME/gameday, or ~/.local/state/gameday when XDG_STATE_HOME is
// unset or not absolute (the XDG spec says to ignore relative paths).
func StateDir() (string, error) {
	dir, err := xdg.Dir("XDG_STATE_HOME", ".local/state")
	if err != nil {
		return "", fmt.Errorf("find the state directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create state directory: %w", err)
	}
	return dir, nil
}

// sessionStamp is the UTC timestamp in session file names: sortable, and
// free of colons so the name is valid everywhere.
const sessionStamp = "2006-01-02T150405Z"

// NewSessionJournalPath returns the journal path for a session started at
// now under the state directory dir: DIR/sessions/2026-11-25T083000Z.jsonl.
func NewSessionJournalPath(dir string, now time.Time) string {
	return filepath.Join(dir, "sessions", now.UTC().Format(sessionStamp)+".jsonl")
}

// LatestSession returns the journal of the most recent session under the
// state directory dir, by the UTC stamp in its name.
func LatestSession(dir string) (string, error) {
	sessions := filepath.Join(dir, "sessions")
	paths, err := filepath.Glob(filepath.Join(sessions, "*.jsonl"))
	if err != nil {
		return "", fmt.Errorf("list sessions: %w", err)
	}
	// Review notes beside a session (NAME.review.jsonl) are not one.
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, ReviewSuffix) })
	if len(paths) == 0 {
		return "", fmt.Errorf("no session journal in %s", sessions)
	}
	// Compare without the extension, so that "…Z-2" (a second session in
	// the same second) sorts after "…Z".
	return slices.MaxFunc(paths, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, ".jsonl"), strings.TrimSuffix(b, ".jsonl"))
	}), nil
}

// SessionInfo describes a session for its session.start event.
type SessionInfo struct {
	Source    string // who runs it: "tui", "run", "probe"
	Inventory string // inventory name or path, shown in the report
	Runbook   string // runbook name, when one drives the session
	Title     string // report title; defaults to the runbook or "Game day"
	// Services is the inventory's service membership (probes.Membership):
	// what lets the analyzer attribute a breach to the faulted hosts.
	Services []ServiceInfo
}

// EndEvent is the session.end event of a session that ended for reason.
func EndEvent(reason string) Event {
	return NewEvent(SessionEnd, "gameday", "session ended: %s", reason).WithData(&SessionEndData{Reason: reason})
}

// StartEvent returns the session.start event of the session info
// describes, stamped with this gameday's JournalFormat.
func (info SessionInfo) StartEvent() Event {
	return NewEvent(SessionStart, firstNonEmpty(info.Source, "gameday"), "session started").WithData(&SessionData{
		Format: JournalFormat, Inventory: info.Inventory, Runbook: info.Runbook, Title: info.Title,
		Services: info.Services,
	})
}

// Session is a Recorder wired to a fresh journal of its own.
type Session struct {
	Recorder *Recorder
	Journal  *Journal
	Path     string // the journal's path
}

// OpenSession creates a new session journal under dir (the state directory
// when dir is empty), starts a Recorder writing to it and records the
// session.start event. Two sessions started in the same second get distinct
// files. opts configure the Recorder (WithClock also names the file); a
// WithSink among them would take the journal's place, so leave it out.
func OpenSession(dir string, info SessionInfo, opts ...RecorderOption) (*Session, error) {
	if dir == "" {
		d, err := StateDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	cfg := &Recorder{now: time.Now} // read WithClock, so the file name follows it
	for _, o := range opts {
		o(cfg)
	}
	j, err := CreateSessionJournal(dir, cfg.now())
	if err != nil {
		return nil, err
	}
	rec := NewRecorder(append([]RecorderOption{WithSink(j)}, opts...)...)
	rec.Record(info.StartEvent())
	return &Session{Recorder: rec, Journal: j, Path: j.Path()}, nil
}

// CreateSessionJournal creates the journal of a session started at now
// under the state directory dir (DIR/sessions/2026-11-25T083000Z.jsonl),
// never an existing file: two sessions started in the same second get
// distinct names ("…Z-2.jsonl").
func CreateSessionJournal(dir string, now time.Time) (*Journal, error) {
	base := strings.TrimSuffix(NewSessionJournalPath(dir, now), ".jsonl")
	var (
		j   *Journal
		err error
	)
	for i := 1; i <= 100; i++ {
		path := base + ".jsonl"
		if i > 1 {
			path = fmt.Sprintf("%s-%d.jsonl", base, i)
		}
		j, err = openJournal(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return j, err
}

// Close records session.end with reason, flushes every event to the journal
// and closes it. It returns the first error the journal reported.
func (s *Session) Close(reason string) error {
	s.Recorder.Record(EndEvent(reason))
	s.Recorder.Close()
	werr := s.Recorder.Err()
	cerr := s.Journal.Close()
	return errors.Join(werr, cerr)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// SplitSessions cuts events (in journal order) at each session.start, for
// journals that several runs appended to. Events before the first
// session.start belong to the first part.
func SplitSessions(events []Event) [][]Event {
	var parts [][]Event
	from := 0
	for i, e := range events {
		if e.Kind == SessionStart && i > from {
			parts = append(parts, events[from:i])
			from = i
		}
	}
	if from < len(events) {
		parts = append(parts, events[from:])
	}
	return parts
}
