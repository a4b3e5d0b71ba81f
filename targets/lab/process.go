package lab

import (
	"errors"
	"fmt"
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

	run proc.Restartable
}

// start launches the node's process; it is an error if it already runs.
func (c *child) start() error {
	p, started, err := c.run.Start(proc.Spec{Argv: c.argv, Dir: c.dataDir, Log: c.logPath, Faketime: c.faketime})
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", c.name, err)
	case !started:
		return fmt.Errorf("%s is already running (pid %d)", c.name, p.PID())
	}
	return nil
}

// status returns the node's pid and state.
func (c *child) status() (int, string) {
	switch pid := c.run.PID(); {
	case pid == 0:
		return 0, labapi.StateStopped
	case c.run.Paused():
		return pid, labapi.StatePaused
	default:
		return pid, labapi.StateRunning
	}
}

// signal sends sig to the node's process group. Signalling a stopped node
// is an error except for KILL and CONT, which are then no-ops (idempotent
// reverts).
func (c *child) signal(sig syscall.Signal) error {
	err := c.run.Signal(sig)
	switch {
	case errors.Is(err, proc.ErrExited):
		return fmt.Errorf("%s is not running", c.name)
	case err != nil:
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// stop ends the process (SIGTERM, SIGKILL after grace) and returns once
// it is gone.
func (c *child) stop(grace time.Duration) error {
	if err := c.run.Stop(grace); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}
