package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
)

// baselineInventory is an inventory of an HTTP endpoint and a command,
// with 1 s windows so that a baseline takes seconds, and comments that a
// rewrite must keep. The endpoint is judged on its p50, not its p99: at
// 50 requests a window the p99 is the slowest request, and one stall of
// a loaded machine would make the window "spiky" (unstable, exit 1),
// which is the baseline doing its job, not what these tests test.
func baselineInventory(t *testing.T, dir string) string {
	t.Helper()
	// The service answers in 200 ms, as a real one takes time: a loopback
	// answer of ~1 ms is mostly this machine's scheduling, so on a loaded
	// machine one window's p50 came out 8× the median and the baseline
	// rightly called the probe spiky (exit 1). Spiky now takes a window
	// whose median request waited a second longer than the others'.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(serviceTime)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(api.Close)
	path := filepath.Join(dir, "inv.yaml")
	inv := fmt.Sprintf(`# our game day
services:
  http:
    - name: api
      url: %s/healthz
      probes:
        latency:
          rate: 50/s
          window: 1s
          thresholds:
            - p50 < 2s      # generous, for now
  command:
    - name: disk
      command: [echo, used=42]
      value: 'used=(\d+)'
      probes: {run: {interval: 1s, window: 1s, thresholds: ["value < 90", "errors == 0"]}}
`, api.URL)
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serviceTime is how long baselineInventory's HTTP service takes to answer.
const serviceTime = 200 * time.Millisecond

// TestBaselineWrite runs gameday baseline --write for a few seconds: the
// table shows every threshold with its proposal, the inventory gets the
// proposed bounds with its comments kept, and the old file is backed up.
func TestBaselineWrite(t *testing.T) {
	dir := t.TempDir()
	path := baselineInventory(t, dir)
	before, _ := os.ReadFile(path)
	io, _, out, errOut := testStreams()
	code := run([]string{"baseline", "-i", path, "--for", "4s", "--write"}, io)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"PROBE", "http.latency", "p50 < 2s", "tighten", "command.run", "value < 84", "errors == 0", "kept", "wrote the thresholds of command/disk run, http/api latency"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the output:\n%s", want, out)
		}
	}
	after, _ := os.ReadFile(path)
	inv, err := targets.Parse(path, after)
	if err != nil {
		t.Fatalf("the rewritten inventory does not load: %v\n%s", err, after)
	}
	if got := inv.Services.Command[0].Probes["run"].Thresholds; strings.Join(got, "; ") != "value < 84; errors == 0" {
		t.Errorf("command thresholds %q, want value < 84 and errors == 0", got)
	}
	lat := inv.Services.HTTP[0].Probes["latency"].Thresholds
	if len(lat) != 2 || !strings.HasPrefix(lat[0], "p50 < ") || lat[0] == "p50 < 2s" || !strings.HasPrefix(lat[1], "success >= ") {
		t.Errorf("http thresholds %q, want a proposed p50 and the success floor written out", lat)
	}
	if !strings.Contains(string(after), "# our game day\n") || !strings.Contains(string(after), "# generous, for now") {
		t.Errorf("comments lost:\n%s", after)
	}
	backups, _ := filepath.Glob(path + ".*.bak")
	if len(backups) != 1 {
		t.Fatalf("backups %v, want one", backups)
	}
	if b, _ := os.ReadFile(backups[0]); string(b) != string(before) {
		t.Errorf("the backup is not the old file")
	}
}

// TestBaselineJSON: one JSON object per threshold, the fields scripts use.
func TestBaselineJSON(t *testing.T) {
	path := baselineInventory(t, t.TempDir())
	io, _, out, errOut := testStreams()
	if code := run([]string{"baseline", "-i", path, "--for", "5s", "--json"}, io); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var got []probes.Proposal
	dec := json.NewDecoder(out)
	for dec.More() {
		var p probes.Proposal
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if len(got) != 4 || got[0].Probe != "command.run" || got[0].Proposed != "value < 84" || got[0].Windows < 1 || got[0].Why == "" {
		t.Fatalf("proposals %+v", got)
	}
}

// TestBaselineBadInput: a --for shorter than two windows, and an
// inventory --write cannot rewrite (on a read-only mount), are one
// sentence each and exit status 2, said before any measuring.
func TestBaselineBadInput(t *testing.T) {
	dir := t.TempDir()
	path := baselineInventory(t, dir)
	io, _, out, errOut := testStreams()
	if code := run([]string{"baseline", "-i", path, "--for", "1s"}, io); code != ExitBadInput ||
		strings.TrimSpace(errOut.String()) != "gameday: --for 1s is too short: the probes' windows are 1s, the first of which is warm-up, so a baseline needs at least 2s" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}

	if os.Geteuid() != 0 {
		// Without root, permissions make the file read-only.
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		io, _, out, errOut = testStreams()
		code := run([]string{"baseline", "-i", path, "--for", "1m", "--write"}, io)
		want := "gameday: --write: " + path + " cannot be rewritten: permission denied; run without --write, or on a copy you can write"
		if code != ExitBadInput || strings.TrimSpace(errOut.String()) != want {
			t.Fatalf("exit %d, stderr %q, want 2 and %q\n%s", code, errOut, want, out)
		}
		return
	}
	// Root writes through permissions: the inventory sits on a read-only
	// bind mount, in a mount namespace of the gameday process's own.
	bin := buildGameday(t, t.TempDir())
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" baseline -i "$1/inv.yaml" --for 1m --write`, "sh", dir, bin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	want := "gameday: --write: " + path + " cannot be rewritten: read-only file system; run without --write, or on a copy you can write"
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitBadInput || strings.TrimSpace(stderr.String()) != want {
		t.Fatalf("err %v, stderr %q, want exit 2 and %q\nstdout: %s", err, stderr.String(), want, stdout.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("measured before refusing: %s", stdout.String())
	}
	_ = out
}

// TestLabUpBaseline: `gameday lab up --baseline 20s` watches the lab's
// probes before it says it is running, prints the table, and leaves the
// lab's inventory judging every probe by what the table proposed (a
// threshold it found unstable by what was there). Whatever the machine's
// load makes of the numbers, the file must say what the table said.
func TestLabUpBaseline(t *testing.T) {
	bin := buildGameday(t, t.TempDir())
	dir := t.TempDir()
	_, _, said := labUpSaying(t, bin, dir, "--baseline", "20s")
	if !strings.Contains(said, "baseline: watching") || !strings.Contains(said, "PROBE ") {
		t.Fatalf("lab up --baseline printed no baseline:\n%s", said)
	}
	if !strings.Contains(said, "wrote the thresholds of") && !strings.Contains(said, "nothing to write") {
		t.Fatalf("lab up --baseline did not say what it wrote:\n%s", said)
	}
	inv, err := targets.Load(filepath.Join(dir, "inventory.yaml"))
	if err != nil {
		t.Fatalf("the lab's inventory after the baseline: %v", err)
	}
	set, err := probes.NewSet(inv, nil, probes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	judged := map[string][]string{}
	for _, in := range set.Probes() {
		judged[in.Probe+"\x00"+in.Target] = in.Thresholds
	}
	cols := regexp.MustCompile(`\s{2,}`)
	rows := 0
	for _, line := range strings.Split(said, "\n") {
		f := cols.Split(strings.TrimSpace(line), -1)
		if len(f) != 9 || f[0] == "PROBE" {
			continue
		}
		rows++
		probe, target, current, proposed, verdict := f[0], f[1], f[5], f[6], f[7]
		ths, ok := judged[probe+"\x00"+target]
		if !ok {
			t.Errorf("table row %q: no such probe in the lab's inventory", line)
			continue
		}
		want := proposed
		if proposed == "-" {
			want = current
		}
		if want != "-" && !slices.Contains(ths, want) {
			t.Errorf("%s %s (%s): the table says %q, the inventory judges by %q", probe, target, verdict, want, ths)
		}
	}
	if rows < 4 {
		t.Fatalf("%d rows in the baseline table, want one per threshold of the lab's probes:\n%s", rows, said)
	}
}
