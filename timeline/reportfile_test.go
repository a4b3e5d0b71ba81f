package timeline

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomicKeepsTheOldFileOnFailure(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "timeline.md")
	if err := os.WriteFile(dest, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	fail := func(w io.Writer) error {
		w.Write([]byte("half"))
		return os.ErrDeadlineExceeded
	}
	if err := WriteFileAtomic(dest, func(w io.Writer) error { return fail(w) }); err == nil {
		t.Fatal("a failed write reported success")
	}
	if b, _ := os.ReadFile(dest); string(b) != "old" {
		t.Fatalf("a failed write left %q in place of the old report", b)
	}
	if err := WriteFileAtomic(dest, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dest)
	if b, _ := os.ReadFile(dest); string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("report %q mode %v, want new and 0600", b, st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
		t.Fatalf("%d entries left, want only the report", len(entries))
	}
}
