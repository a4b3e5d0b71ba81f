package timeline

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// crashEnv names the journal a child process writes until it is killed.
const crashEnv = "GAMEDAY_TIMELINE_CRASH_JOURNAL"

// TestMain runs the crash child when asked to, and the tests otherwise.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	os.Exit(m.Run())
}

// crashChild records events as fast as it can, reporting on stdout each Seq
// that Sync confirmed durable, until it is killed.
func crashChild(path string) {
	j, err := OpenJournal(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := NewRecorder(WithSink(j))
	for i := 1; ; i++ {
		e := r.Record(NewEvent(ProbeWindow, "probe", "window %d", i).With("p99", float64(i)))
		if i%50 == 0 {
			r.Sync()
			fmt.Printf("synced %d\n", e.Seq)
		}
	}
}

// A gameday killed with SIGKILL while recording leaves a journal that loads:
// every event Sync confirmed is there, in order, with at most the one
// torn-line warning.
func TestJournalSurvivesSIGKILL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.jsonl")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	var synced uint64
	waitOrFail(t, "the child's first 2000 synced events", func() {
		sc := bufio.NewScanner(out)
		for synced < 2000 && sc.Scan() {
			synced, _ = strconv.ParseUint(strings.TrimPrefix(sc.Text(), "synced "), 10, 64)
		}
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // once it returns, every write the child made is in the file

	evs, warns, err := LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) < synced {
		t.Fatalf("journal holds %d events, but the child had synced %d", len(evs), synced)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d: a gap or reordering after the crash", i, e.Seq)
		}
	}
	if len(warns) > 1 || len(warns) == 1 && !strings.Contains(warns[0].Msg, "last line is incomplete") {
		t.Errorf("warnings = %v, want at most one torn last line", warns)
	}
}
