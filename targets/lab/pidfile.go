package lab

import (
	"context"
	"errors"
	"fmt"
	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets/lab/jvm"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const pidfileName = labapi.PidFile

func pidfilePath(dir string) string { return filepath.Join(dir, pidfileName) }

// readPidfile returns the lab's pid if the process that wrote the pidfile
// is still alive, or 0. A pidfile that names no process counts as none, so
// that lab up claims it again.
func readPidfile(dir string) (int, error) {
	id, _, err := labapi.Running(dir)
	if errors.Is(err, labapi.ErrBadPidFile) {
		return 0, nil
	}
	return id.PID, err
}

// claimPidfile records this process as the lab running from dir, refusing
// when another live lab already holds it.
func claimPidfile(dir string) error {
	pid, err := readPidfile(dir)
	if err != nil {
		return err
	}
	if pid != 0 && pid != os.Getpid() {
		return fmt.Errorf("a lab is already running from %s (pid %d); stop it with `gameday lab down --dir %s`", dir, pid, dir)
	}
	self, err := proc.Self()
	if err != nil {
		return err
	}
	if err := os.WriteFile(pidfilePath(dir), []byte(fmt.Sprintf("%d %d\n", self.PID, self.Start)), 0o600); err != nil {
		return fmt.Errorf("write lab pidfile: %w", err)
	}
	return nil
}

// Down stops the lab running from dir (started by another process): it
// signals the lab process, which reverts its guards and stops its
// children, and waits until the lab and every process working in dir are
// gone. A lab that is not running is not an error. It then removes what
// full labs that died without stopping left outside their dirs (firewall
// chains, cgroups), telling progress what it removed.
func Down(ctx context.Context, dir string, progress func(string)) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("lab dir %s: %w", dir, err)
	}
	pid, err := readPidfile(abs)
	if err != nil {
		return err
	}
	if pid != 0 {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal the lab (pid %d): %w", pid, err)
		}
		for proc.Alive(pid) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("the lab (pid %d) did not stop: %w", pid, context.Cause(ctx))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	// The lab's children die with it (Pdeathsig); anything still working in
	// dir was orphaned some other way and is killed here.
	for {
		left := ProcessesIn(abs)
		if len(left) == 0 {
			return sweepDeadLabs(progress)
		}
		for _, p := range left {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes %v in %s did not exit: %w", left, abs, context.Cause(ctx))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ProcessesIn lists live processes whose working directory is dir or
// below it. Lab children run in their data dirs under the lab dir, so after
// a stop this must be empty.
func ProcessesIn(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue
		}
		if (cwd == dir || strings.HasPrefix(cwd, dir+"/")) && proc.Alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Running returns the pid of the lab running from dir, or 0 if none is.
func Running(dir string) (int, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, fmt.Errorf("lab dir %s: %w", dir, err)
	}
	return readPidfile(abs)
}

// sweepDeadLabs removes the firewall chains and cgroups of full labs that
// died without stopping (see jvm.SweepDeadLabs), saying what it removed.
// A failure is reported too, and returned.
func sweepDeadLabs(progress func(string)) error {
	removed, err := jvm.SweepDeadLabs()
	removed = append(removed, sweepDeadSSHLabs()...)
	if len(removed) > 0 {
		progress("lab: removed what labs that died left behind: " + strings.Join(removed, ", "))
	}
	if err != nil {
		progress("lab: " + err.Error())
	}
	return err
}
