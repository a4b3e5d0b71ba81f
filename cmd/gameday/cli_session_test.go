package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/timeline"
)

// TestInjectAndRevertRecordOnTheCLITimeline arms and reverts a real fault
// on a namespace host without --journal: both land, with the path printed
// once per command, in one CLI session that export --last reports; bad
// input and dry runs leave no session; --journal takes the CLI session's
// place.
func TestInjectAndRevertRecordOnTheCLITimeline(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	bed := nshost.New(t, 1, nshost.Options{})
	invPath := bed.WriteInventory()
	state := filepath.Join(t.TempDir(), "state")
	t.Setenv("XDG_STATE_HOME", state)
	sessions := filepath.Join(state, "gameday", "sessions")
	gameday := func(args ...string) (string, string) {
		t.Helper()
		ios, _, out, errOut := testStreams()
		if code := run(args, ios); code != 0 {
			t.Fatalf("gameday %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out.String(), errOut.String()
	}
	arm := []string{"inject", "partition", "--host", "host1", "--param", "peers=192.0.2.10", "--ttl", "60s", "-i", invPath}

	// Nothing to record: no session.
	gameday(append(arm, "--dry-run")...)
	ios, _, _, _ := testStreams()
	if code := run([]string{"inject", "partition", "--host", "host1", "-p", "direction=sideways", "-i", invPath}, ios); code != 2 {
		t.Fatalf("bad direction exit %d, want 2", code)
	}
	if _, err := os.Stat(sessions); !os.IsNotExist(err) {
		t.Fatalf("a dry run or bad input made %s (err %v)", sessions, err)
	}

	_, armErr := gameday(arm...)
	_, revertErr := gameday("revert", "--all")
	path, err := timeline.LatestSession(filepath.Join(state, "gameday"))
	if err != nil {
		t.Fatal(err)
	}
	note := "timeline: " + path + " (gameday export --last)\n"
	for cmd, errOut := range map[string]string{"inject": armErr, "revert": revertErr} {
		if strings.Count(errOut, "timeline: ") != 1 || !strings.Contains(errOut, note) {
			t.Errorf("%s stderr = %q, want the journal path once: %q", cmd, errOut, note)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(sessions, "*.jsonl")); len(files) != 1 {
		t.Errorf("sessions = %v, want the inject and the revert in one", files)
	}
	events, _, err := timeline.LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, string(e.Kind))
	}
	if got, want := strings.Join(kinds, " "), "session.start fault.arming fault.armed fault.reverted"; got != want {
		t.Errorf("journal events = %s, want %s", got, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	report, _ := gameday("export", "--last")
	for _, want := range []string{"partition armed on host1", "partition reverted on host1"} {
		if !strings.Contains(report, want) {
			t.Errorf("export --last lacks %q:\n%s", want, report)
		}
	}

	// --journal takes the CLI session's place.
	own := filepath.Join(t.TempDir(), "own.jsonl")
	_, armErr = gameday(append(arm, "--journal", own)...)
	gameday("revert", "--all", "--journal", own)
	if strings.Contains(armErr, "timeline: ") {
		t.Errorf("with --journal, inject still names the CLI journal: %q", armErr)
	}
	if got, _, err := timeline.LoadJournal(path); err != nil || len(got) != len(events) {
		t.Errorf("with --journal, the CLI session gained events (%d, was %d; %v)", len(got), len(events), err)
	}
	if got, _, err := timeline.LoadJournal(own); err != nil || len(got) != 3 {
		t.Errorf("--journal holds %d events (%v), want arming, armed, reverted", len(got), err)
	}
}
