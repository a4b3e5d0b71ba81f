package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

func TestLabFlags(t *testing.T) {
	cases := map[string]struct {
		args []string
		want LabOptions
	}{
		"bare lab opens the TUI": {
			args: []string{},
			want: LabOptions{TUI: true, DownAfter: 2 * time.Second, FailoverTimeout: 10 * time.Second},
		},
		"up with every flag": {
			args: []string{"up", "--dir", "/tmp/x", "--down-after", "5s", "--failover-timeout", "30s", "--faketime"},
			want: LabOptions{Dir: "/tmp/x", DownAfter: 5 * time.Second, FailoverTimeout: 30 * time.Second, Faketime: true},
		},
		"a Cassandra-only full lab": {
			args: []string{"up", "--full", "--no-kafka"},
			want: LabOptions{DownAfter: 2 * time.Second, FailoverTimeout: 10 * time.Second, Full: true, NoKafka: true},
		},
		"a full lab on SSH hosts": {
			args: []string{"up", "--full", "--ssh", "--data-tmpfs", "96"},
			want: LabOptions{DownAfter: 2 * time.Second, FailoverTimeout: 10 * time.Second, Full: true, SSH: true, DataTmpfsMB: 96},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			io, _, _, _ := testStreams()
			var got *LabOptions
			cmd := NewCmdLab(io, func(o *LabOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tc.want {
				t.Fatalf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
	io, _, _, _ := testStreams()
	var down *LabDownOptions
	cmd := NewCmdLabDown(io, func(o *LabDownOptions) error { down = o; return nil })
	cmd.SetArgs([]string{"--dir", "/tmp/y", "--timeout", "9s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if down.Dir != "/tmp/y" || down.Timeout != 9*time.Second {
		t.Fatalf("down options = %+v", down)
	}
}

func TestLabBadInput(t *testing.T) {
	cases := map[string][]string{
		"negative down-after": {"lab", "up", "--down-after", "-1s"},
		"not a duration":      {"lab", "up", "--failover-timeout", "soon"},
		"missing lab dir":     {"lab", "down", "--dir", "/nonexistent/gameday-lab"},
		"ssh without full":    {"lab", "up", "--ssh"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			io, _, out, errOut := testStreams()
			if code := run(args, io); code != ExitBadInput {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitBadInput, out, errOut)
			}
			if lines := strings.Count(strings.TrimSpace(errOut.String()), "\n"); lines != 0 {
				t.Fatalf("want one line on stderr, got:\n%s", errOut)
			}
		})
	}
}

// TestCheckOnLab: the lab's inventory passes `gameday check`.
func TestCheckOnLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	io, _, out, errOut := testStreams()
	if code := run([]string{"check", "-i", l.InventoryPath(), "--timeout", "5s"}, io); code != ExitOK {
		t.Fatalf("check on the lab exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// buildGameday builds this command into dir.
func buildGameday(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "gameday")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// labUp runs `gameday lab up --dir dir` as its own process and returns it
// once the lab says it is running, with the PIDs of its children.
func labUp(t testing.TB, bin, dir string) (*exec.Cmd, []int) {
	t.Helper()
	up, pids, _ := labUpSaying(t, bin, dir)
	return up, pids
}

// userLab starts `gameday lab up` as a user runs it, in a dir of its own,
// with a state dir of the test's, and stops it with `gameday lab down` when
// the test ends; it returns the lab dir.
func userLab(t *testing.T, bin string) string {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	labUp(t, bin, dir)
	t.Cleanup(func() {
		if out, err := exec.Command(bin, "lab", "down", "--dir", dir).CombinedOutput(); err != nil {
			t.Errorf("lab down: %v\n%s", err, out)
		}
	})
	return dir
}

// labUpSaying is labUp with more flags for lab up, and what it printed
// until it said it was running.
func labUpSaying(t testing.TB, bin, dir string, flags ...string) (*exec.Cmd, []int, string) {
	t.Helper()
	up := exec.Command(bin, append([]string{"lab", "up", "--dir", dir}, flags...)...)
	stdout, err := up.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	up.Stderr = os.Stderr
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log strings.Builder
	running := make(chan struct{})
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.HasPrefix(sc.Text(), "lab running") {
				close(running)
			}
		}
	}()
	t.Cleanup(func() {
		_ = up.Process.Kill()
		<-read
		_ = up.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("lab up said:\n%s", log.String())
			mu.Unlock()
		}
	})
	select {
	case <-running:
	case <-time.After(90 * time.Second):
		t.Fatal("`gameday lab up` did not report a running lab within 90s")
	}
	mu.Lock()
	said := log.String()
	mu.Unlock()
	inv, err := targets.Load(filepath.Join(dir, "inventory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, h := range inv.Hosts {
		if h.Lab != nil && h.Lab.PID > 0 && h.Lab.Kind != labapi.KindKafka {
			pids = append(pids, h.Lab.PID)
		}
	}
	pids = append(pids, up.Process.Pid)
	if len(pids) != 7 {
		t.Fatalf("inventory lists %d lab child PIDs, want 6", len(pids)-1)
	}
	return up, pids, said
}

// waitGone waits until every pid has exited (the lab process itself is
// reaped by labUp's cleanup) and nothing works in dir any more.
func waitGone(t *testing.T, pids []int, dir string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil && !zombie(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d is still alive after the lab stopped", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if left := lab.ProcessesIn(dir); len(left) > 0 {
		t.Errorf("processes %v still run in %s", left, dir)
	}
}

// zombie reports whether pid has exited but is not reaped yet.
func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	return strings.HasPrefix(strings.TrimSpace(s[strings.LastIndexByte(s, ')')+1:]), "Z")
}

// TestLabProcess runs the built binary: a lab started by `gameday lab up`
// leaves no process behind whether it is stopped by `gameday lab down`,
// by Ctrl-C, or SIGKILLed.
func TestLabProcess(t *testing.T) {
	bin := buildGameday(t, t.TempDir())

	t.Run("lab down from another process", func(t *testing.T) {
		dir := t.TempDir()
		up, pids := labUp(t, bin, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "lab", "down", "--dir", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("lab down: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "stopped") {
			t.Fatalf("lab down said %q", out)
		}
		if err := up.Wait(); err != nil {
			t.Fatalf("lab up exited with %v after lab down", err)
		}
		waitGone(t, pids, dir)
		if _, err := os.Stat(filepath.Join(dir, "lab.pid")); !os.IsNotExist(err) {
			t.Errorf("lab.pid left behind: %v", err)
		}
		out, err = exec.CommandContext(ctx, bin, "lab", "down", "--dir", dir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "no lab was running") {
			t.Fatalf("second lab down: %v\n%s", err, out)
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		dir := t.TempDir()
		up, pids := labUp(t, bin, dir)
		if err := up.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if err := up.Wait(); err != nil {
			t.Fatalf("lab up exited with %v after SIGINT", err)
		}
		waitGone(t, pids, dir)
	})

	t.Run("SIGKILL", func(t *testing.T) {
		// SIGKILL gives the lab no chance to clean up: its children must
		// die with it (Pdeathsig).
		dir := t.TempDir()
		up, pids := labUp(t, bin, dir)
		if err := up.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pids, dir)
	})

	t.Run("second lab in the same dir is refused", func(t *testing.T) {
		dir := t.TempDir()
		labUp(t, bin, dir)
		out, err := exec.Command(bin, "lab", "up", "--dir", dir).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "already running") {
			t.Fatalf("second lab up: %v\n%s", err, out)
		}
	})
}
