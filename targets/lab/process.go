package lab

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// child is one lab node run as a separate process (Redis or Sentinel).
type child struct {
	name, kind string
	argv       []string
	logPath    string
	dataDir    string
	ip         string // own loopback address, also the source of its connections
	listen     string // own address (ip:port)
	proxy      string // Toxiproxy proxy name, "" when the node has none
	proxyAddr  string // public address: the relay in front of the proxy
	relay      *relay
	faketime   string // libfaketime control file, "" when not under faketime

	mu sync.Mutex
	p  *proc.Child // the current process, nil before the first start
}

// start launches the node's process; it is an error if it already runs.
func (c *child) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != nil && !c.p.Exited() {
		return fmt.Errorf("%s is already running (pid %d)", c.name, c.p.PID())
	}
	p, err := proc.Start(proc.Spec{Argv: c.argv, Dir: c.dataDir, Log: c.logPath, Faketime: c.faketime})
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	c.p = p
	return nil
}

// current returns the current process, or nil.
func (c *child) current() *proc.Child {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p
}

// status returns the node's pid and state.
func (c *child) status() (int, string) {
	p := c.current()
	switch {
	case p == nil || p.Exited():
		return 0, labapi.StateStopped
	case p.Paused():
		return p.PID(), labapi.StatePaused
	default:
		return p.PID(), labapi.StateRunning
	}
}

// signal sends sig to the node's process group. Signalling a stopped node
// is an error except for KILL and CONT, which are then no-ops (idempotent
// reverts).
func (c *child) signal(sig syscall.Signal) error {
	p := c.current()
	if p == nil {
		if sig == syscall.SIGKILL || sig == syscall.SIGCONT {
			return nil
		}
		return fmt.Errorf("%s is not running", c.name)
	}
	err := p.Signal(sig)
	if errors.Is(err, proc.ErrExited) {
		return fmt.Errorf("%s is not running", c.name)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// wait blocks until the current process has exited or d passes.
func (c *child) wait(d time.Duration) bool {
	p := c.current()
	return p == nil || p.Wait(d)
}

// stop ends the process (SIGTERM, SIGKILL after grace) and returns once
// it is gone.
func (c *child) stop(grace time.Duration) error {
	p := c.current()
	if p == nil {
		return nil
	}
	if err := p.Stop(grace); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}
