package lab

import (
	"errors"
	"fmt"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// child is one lab node run as a separate process (Redis or Sentinel).
type child struct {
	name, kind string
	bin        string
	args       []string
	env        []string
	logPath    string
	dataDir    string
	ip         string // own loopback address, also the source of its connections
	listen     string // own address (ip:port)
	proxy      string // Toxiproxy proxy name, "" when the node has none
	proxyAddr  string // public address: the relay in front of the proxy
	relay      *relay
	faketime   string // libfaketime control file, "" when not under faketime

	mu     sync.Mutex
	cmd    *exec.Cmd
	pid    int
	paused bool
	done   chan struct{} // closed when the current process has exited
}

// start launches the node's process; it is an error if it already runs.
func (c *child) start(sp *spawner) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running() {
		return fmt.Errorf("%s is already running (pid %d)", c.name, c.pid)
	}
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", c.name, err)
	}
	cmd := exec.Command(c.bin, c.args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = c.dataDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := sp.start(cmd); err != nil {
		logf.Close()
		return fmt.Errorf("start %s (%s): %w", c.name, c.bin, err)
	}
	done := make(chan struct{})
	c.cmd, c.pid, c.paused, c.done = cmd, cmd.Process.Pid, false, done
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	return nil
}

// running reports whether the current process is alive; c.mu must be held.
func (c *child) running() bool {
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// status returns the node's pid and state.
func (c *child) status() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.running():
		return 0, labapi.StateStopped
	case c.paused:
		return c.pid, labapi.StatePaused
	default:
		return c.pid, labapi.StateRunning
	}
}

// signal sends sig to the node's process group. Signalling a stopped node
// is an error except for KILL, which is then a no-op (idempotent revert).
func (c *child) signal(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running() {
		if sig == syscall.SIGKILL || sig == syscall.SIGCONT {
			return nil
		}
		return fmt.Errorf("%s is not running", c.name)
	}
	if err := syscall.Kill(-c.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to %s (pid %d): %w", sig, c.name, c.pid, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		c.paused = true
	case syscall.SIGCONT:
		c.paused = false
	}
	return nil
}

// wait blocks until the current process has exited or d passes.
func (c *child) wait(d time.Duration) bool {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// stop ends the process: SIGTERM (with SIGCONT so a paused node can act on
// it), then SIGKILL after grace. It returns once the process is gone.
func (c *child) stop(grace time.Duration) error {
	c.mu.Lock()
	if !c.running() {
		c.mu.Unlock()
		return nil
	}
	pid := c.pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	_ = syscall.Kill(-pid, syscall.SIGCONT)
	c.paused = false
	c.mu.Unlock()
	if c.wait(grace) {
		return nil
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	if !c.wait(5 * time.Second) {
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", c.name, pid)
	}
	return nil
}
