package inject

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pgrepExact lists the PIDs whose command line is exactly cmdline.
func pgrepExact(t *testing.T, cmdline string) []int {
	t.Helper()
	out, _ := exec.Command("pgrep", "-xf", cmdline).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

func TestKillByPatternAndRevertStartsItAgain(t *testing.T) {
	// A command line no other process has, so the pattern selects only it.
	secs := fmt.Sprintf("3%05d.5", time.Now().UnixNano()%100000)
	cmdline := "sleep " + secs
	t.Cleanup(func() {
		for _, p := range pgrepExact(t, cmdline) {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	first := startProcess(t, "sleep", secs)
	m, err := NewManager(localInventory(), nil, filepath.Join(t.TempDir(), "ledger.jsonl"), WithRunner(LocalRunner{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := m.Arm(ctx, Request{Kind: "kill", Hosts: []string{"local"},
		Params: map[string]string{"pattern": "^" + strings.ReplaceAll(cmdline, ".", `\.`) + "$", "start": cmdline}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm kill: %v", err)
	}
	if st := procStateOf(t, first.Process.Pid); st != "" && st != "Z" {
		t.Errorf("killed process is in state %q", st)
	}
	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	again := pgrepExact(t, cmdline)
	if len(again) != 1 || again[0] == first.Process.Pid {
		t.Errorf("after revert the processes running %q are %v, want one new one", cmdline, again)
	}
	// The pattern never matched gameday's own shell: killing did not cut
	// the script short, and a second revert starts nothing more.
	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(pgrepExact(t, cmdline)); n != 1 {
		t.Errorf("%d processes after a second revert, want 1", n)
	}
}
