package timeline

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteFileAtomic writes a report (or any file gameday produces from a
// journal) through a temporary file in the same directory, fsyncs it and
// renames it into place, so an interrupted write never leaves half a report
// where a previous one was. The file is 0600 like the journal it comes
// from: a report names hosts and quotes notes, and sharing it is the
// owner's decision.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this is a no-op
	err = write(tmp)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReportPath is where a session's markdown report goes by default: beside
// its journal, with .md for the journal's extension.
func ReportPath(journal string) string {
	return strings.TrimSuffix(journal, filepath.Ext(journal)) + ".md"
}

// WriteSessionReport writes the markdown report of the last session in the
// journal (the events from its last session.start on: a journal that
// several runs appended to holds earlier ones) to out, or beside the
// journal when out is "", atomically and 0600. It returns the report's
// path.
func WriteSessionReport(journal, out string) (string, error) {
	if out == "" {
		out = ReportPath(journal)
	}
	events, warns, err := LoadJournal(journal)
	if err != nil {
		return out, err
	}
	if parts := SplitSessions(events); len(parts) > 1 {
		events = parts[len(parts)-1]
	}
	r := BuildReport(events, ReportOptions{Journal: journal, Warnings: warns})
	return out, WriteFileAtomic(out, r.WriteMarkdown)
}
