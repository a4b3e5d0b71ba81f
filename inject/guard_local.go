package inject

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets"
)

// A local guard is a fault's TTL guard for a host whose executor runs
// its steps in this process (a Toxiproxy server's API): a detached
// `gameday guard ID` process on this machine — the controller — in a
// session of its own (setsid), so that neither the TUI's end, a kill -9
// of gameday nor the terminal closing stops it. At its deadline it runs
// the host's revert steps, then its verify-gone steps, through the same
// executor, and records which way it went in the marker an SSH guard
// writes ("verified" or "revert failed: why"), in the same state
// directory, read the same way (parseGuardMarker).

// localGuardSpec is what a local guard runs, written 0600 beside its
// other state files before it starts.
type localGuardSpec struct {
	// ID names the guard's state files: fault ID and host.
	ID       string            `json:"id"`
	Host     string            `json:"host"`
	Executor string            `json:"executor"`
	Via      map[string]string `json:"via,omitempty"`
	// TTL counts from the guard's start.
	TTL        time.Duration `json:"ttl"`
	Revert     []Step        `json:"revert"`
	VerifyGone []Step        `json:"verify_gone,omitempty"`
}

// localGuardID names a fault's guard on this machine, which holds every
// host's.
func localGuardID(g Guard) string { return g.Fault + "-" + g.Host }

// localStateDir is this machine's guard state directory, as the SSH
// guards' statePrelude finds it on a host: /run/gameday, else
// /tmp/gameday-guards, mode 0700.
func localStateDir() (string, error) {
	var err error
	for _, d := range []string{"/run/gameday", "/tmp/gameday-guards"} {
		if err = os.MkdirAll(d, 0o700); err == nil && syscall.Access(d, 2 /* W_OK */) == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no guard state directory on this machine (/run/gameday, /tmp/gameday-guards): %v", err)
}

// localStateSuffixes are a guard's state files (guard.sh: a guard an
// older gameday started as a shell).
var localStateSuffixes = []string{"guard.json", "guard.json.tmp", "guard", "guard.tmp", "guard.log", "expired", "expired.tmp", "guard.sh"}

// guardCommand is the program and arguments that run a local guard:
// this very binary's hidden `guard` command (a test binary's TestMain
// answers it too).
var guardCommand = func(id string) (string, []string, error) {
	exe, err := os.Executable()
	return exe, []string{"guard", id}, err
}

// writeFileAtomic writes a state file 0600 through a rename, so a reader
// never sees half of it.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// startLocalGuard writes spec and starts its guard, detached; it returns
// once the guard says it runs (it has recorded its pid), or why not.
func startLocalGuard(ctx context.Context, spec localGuardSpec) error {
	dir, err := localStateDir()
	if err != nil {
		return err
	}
	base := filepath.Join(dir, spec.ID)
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	os.Remove(base + ".expired")
	if err := writeFileAtomic(base+".guard.json", b); err != nil {
		return fmt.Errorf("write the guard's spec: %w", err)
	}
	exe, args, err := guardCommand(spec.ID)
	if err != nil {
		return fmt.Errorf("find gameday's own binary to run the guard: %w", err)
	}
	logf, err := os.OpenFile(base+".guard.log", os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(exe, args...)
	cmd.Dir, cmd.Stderr = "/", logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// The guard must not take a test's crash point for its own.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, CrashpointEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the guard (%s guard): %w", exe, err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- strings.TrimSpace(line)
	}()
	var line string
	select {
	case line = <-ready:
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
	}
	if line != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		why, _ := os.ReadFile(base + ".guard.log")
		return fmt.Errorf("the guard (%s guard %s) did not start: %s", exe, spec.ID, firstLine(string(why)))
	}
	// Reap it should it end while this process still runs.
	go cmd.Wait() //nolint:errcheck // its outcome is its marker
	return nil
}

// cancelLocalGuard stops guard id (if it is still that guard: pid and
// start time) and waits until it is gone, then removes its state files.
func cancelLocalGuard(ctx context.Context, id string) error {
	dir, err := localStateDir()
	if err != nil {
		return err
	}
	base := filepath.Join(dir, id)
	if b, err := os.ReadFile(base + ".guard"); err == nil {
		var p proc.ID
		if n, _ := fmt.Sscanf(string(b), "%d %d", &p.PID, &p.Start); n == 1 {
			// A shell guard an older gameday started: its own cancel.
			_, cancel := sshExecutor{}.Guard(Guard{Fault: id})
			if res, err := (LocalRunner{}).Run(ctx, targets.Host{Name: "this machine"}, cancel.Script); err != nil || res.Exit != 0 {
				return fmt.Errorf("cancel the TTL guard on this machine: %v %s", err, firstLine(res.Stderr))
			}
		} else if n == 2 && p.Running() {
			if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("cancel the TTL guard on this machine (pid %d): %w", p.PID, err)
			}
			for p.Running() {
				select {
				case <-ctx.Done():
					return fmt.Errorf("cancel the TTL guard on this machine: pid %d still runs: %w", p.PID, ctx.Err())
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
	}
	for _, s := range localStateSuffixes {
		if err := os.Remove(base + "." + s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// localGuardOutcome reads guard id's marker.
func localGuardOutcome(id string) (GuardOutcome, error) {
	dir, err := localStateDir()
	if err != nil {
		return GuardOutcome{}, err
	}
	b, err := os.ReadFile(filepath.Join(dir, id+".expired"))
	if errors.Is(err, os.ErrNotExist) {
		return GuardOutcome{}, nil
	}
	if err != nil {
		return GuardOutcome{}, err
	}
	return parseGuardMarker("fired\n" + string(b)), nil
}

// RunGuard is `gameday guard ID`, which gameday starts itself: it reads
// the guard's spec from the state directory, records its pid and start
// time, prints "ready" on stdout (then points stdout at its log), waits
// for the TTL and reverts, unless SIGTERM (a cancel) ends it first.
func RunGuard(ctx context.Context, id string) error {
	dir, err := localStateDir()
	if err != nil {
		return err
	}
	base := filepath.Join(dir, id)
	b, err := os.ReadFile(base + ".guard.json")
	if err != nil {
		return fmt.Errorf("guard %s: %w", id, err)
	}
	var spec localGuardSpec
	if err := json.Unmarshal(b, &spec); err != nil || spec.ID != id {
		return fmt.Errorf("guard %s: its spec %s is not one: %v", id, base+".guard.json", err)
	}
	d, err := executorNamed(spec.Executor)
	if err != nil {
		return err
	}
	x, err := d.open(&execEnv{inv: &targets.Inventory{}}, spec.Via)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(spec.TTL)
	self, err := proc.Self()
	if err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	if err := writeFileAtomic(base+".guard", fmt.Appendf(nil, "%d %d\n", self.PID, self.Start)); err != nil {
		return err
	}
	fmt.Fprintln(os.Stdout, "ready")
	// The starter stops reading: from now on stdout is the log.
	if err := syscall.Dup3(2, 1, 0); err != nil {
		return err
	}
	t := time.NewTimer(time.Until(deadline))
	select {
	case <-stop:
		return nil // cancelled: the fault was reverted
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	h := targets.Host{Name: spec.Host}
	// The marker's reason names the step, not the host: whoever reads it
	// says which host.
	reason := func(err error) string { return strings.TrimPrefix(err.Error(), "host "+spec.Host+": ") }
	why := ""
	for _, s := range spec.Revert {
		if err := x.Run(ctx, h, s); err != nil && why == "" {
			why = reason(err)
		}
	}
	for _, s := range spec.VerifyGone {
		if why != "" {
			break
		}
		if err := x.Run(ctx, h, s); err != nil {
			why = "verify " + reason(err)
		}
	}
	mark := "verified\n"
	if why != "" {
		mark = "revert failed: " + oneLine(why) + "\n"
	}
	fmt.Fprintf(os.Stderr, "%s guard %s fired: %s", time.Now().UTC().Format(time.RFC3339), id, mark)
	if err := writeFileAtomic(base+".expired", []byte(mark)); err != nil {
		return err
	}
	return os.Remove(base + ".guard")
}
