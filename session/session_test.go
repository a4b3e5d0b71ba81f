package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

func kinds(t *testing.T, path string) string {
	t.Helper()
	events, warns, err := timeline.LoadJournal(path)
	if err != nil || len(warns) > 0 {
		t.Fatalf("load %s: %v %v", path, err, warns)
	}
	var ks []string
	for _, e := range events {
		ks = append(ks, string(e.Kind))
	}
	return strings.Join(ks, " ")
}

func TestOpenNewSessionReportsBesideItsJournal(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Config{Source: "tui", Inventory: "lab", StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Path(), filepath.Join(dir, "sessions")+"/") {
		t.Fatalf("journal %s is not in %s/sessions", s.Path(), dir)
	}
	if got, want := s.LedgerPath(), filepath.Join(dir, "ledger.jsonl"); got != want {
		t.Errorf("ledger %s, want %s", got, want)
	}
	s.Recorder().Record(timeline.NewEvent(timeline.Note, "tui", "hello from the war room"))
	if err := s.Close("quit"); err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(t, s.Path()), "session.start note session.end"; got != want {
		t.Fatalf("journal holds %s, want %s", got, want)
	}
	events, _, _ := timeline.LoadJournal(s.Path())
	for i, e := range events {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d (%s) has seq %d: one Recorder numbers the whole session", i, e.Kind, e.Seq)
		}
	}
	md, err := s.Report("")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(s.Path(), ".jsonl") + ".md"; md != want {
		t.Fatalf("report at %s, want %s", md, want)
	}
	b, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(b), "hello from the war room") {
		t.Fatalf("report lacks the note (%v):\n%s", err, b)
	}
	if st, _ := os.Stat(md); st.Mode().Perm() != 0o600 {
		t.Fatalf("report mode %v, want 0600", st.Mode().Perm())
	}
}

func TestOpenAppendsASessionToAJournalAndReportsOnlyIt(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "run.jsonl")
	for i, note := range []string{"first run", "second run"} {
		s, err := Open(Config{Source: "run", Title: "rb", Journal: journal})
		if err != nil {
			t.Fatal(err)
		}
		s.Recorder().Record(timeline.NewEvent(timeline.Note, "run", "%s", note))
		if err := s.Close("held"); err != nil {
			t.Fatal(err)
		}
		if s.Path() != journal {
			t.Fatalf("run %d wrote %s, want %s", i, s.Path(), journal)
		}
	}
	if got, want := kinds(t, journal), "session.start note session.end session.start note session.end"; got != want {
		t.Fatalf("journal holds %s, want %s", got, want)
	}
	out := filepath.Join(t.TempDir(), "r.md")
	s := &Session{sink: &journalSink{}}
	if _, err := s.Report(out); err == nil {
		t.Fatal("a session that recorded nothing wrote a report")
	}
	if _, err := timeline.WriteSessionReport(journal, out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "second run") || strings.Contains(string(b), "first run") {
		t.Fatalf("the report is not of the last session alone:\n%s", b)
	}
}

func TestDeferredResumableCLISession(t *testing.T) {
	dir := t.TempDir()
	var opened []string
	cli := func() *Session {
		s, err := Open(Config{Source: CLISource, StateDir: dir, Resume: time.Hour, Deferred: true,
			Opened: func(p string) { opened = append(opened, p) }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Nothing recorded: no session, nothing announced.
	if err := cli().Close(""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sessions")); !os.IsNotExist(err) || len(opened) != 0 {
		t.Fatalf("an empty CLI command left a session (%v) or announced one (%v)", err, opened)
	}

	// Two commands land in one session, which has no end.
	for _, what := range []string{"armed", "reverted"} {
		s := cli()
		s.Recorder().Record(timeline.NewEvent(timeline.Note, "cli", "%s", what))
		if err := s.Close(""); err != nil {
			t.Fatal(err)
		}
	}
	if len(opened) != 2 || opened[0] != opened[1] {
		t.Fatalf("opened %v, want one journal announced by each command", opened)
	}
	if got, want := kinds(t, opened[0]), "session.start note note"; got != want {
		t.Fatalf("CLI journal holds %s, want %s", got, want)
	}

	// A TUI session in between is not resumed: the next command starts anew.
	tui, err := Open(Config{Source: "tui", StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tui.Close("quit")
	s := cli()
	s.Recorder().Record(timeline.NewEvent(timeline.Note, "cli", "later"))
	s.Close("")
	if len(opened) != 3 || opened[2] == opened[0] || opened[2] == tui.Path() {
		t.Fatalf("after a TUI session the CLI wrote to %v", opened)
	}
}
