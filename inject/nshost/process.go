package nshost

import (
	"fmt"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/internal/proc"
)

// process is a daemon started inside a host's namespace with
// `ip netns exec`, which execs it in place: the PID is the daemon's. It
// runs in its own process group, so a test's Ctrl-C does not reach it
// first and teardown decides when it dies, and it dies with the test
// process even when that is SIGKILLed (proc.Start).
type process struct {
	*proc.Child
	log string
}

// start runs argv inside ns with output appended to logPath.
func start(ns, logPath string, argv ...string) (*process, error) {
	c, err := proc.Start(proc.Spec{Argv: append([]string{"ip", "netns", "exec", ns}, argv...), Log: logPath})
	if err != nil {
		return nil, fmt.Errorf("start %s in %s: %w", argv[0], ns, err)
	}
	return &process{Child: c, log: logPath}, nil
}

// Pid returns the daemon's process ID.
func (p *process) Pid() int { return p.PID() }

// kill SIGKILLs the daemon and waits for it; nil and dead processes are fine.
func (p *process) kill() {
	if p == nil {
		return
	}
	_ = p.Signal(syscall.SIGKILL)
	p.Wait(5 * time.Second)
}

// waitListening waits until addr accepts TCP connections, or p dies, or 10 s
// pass.
func waitListening(addr string, p *process) error {
	return hostns.WaitListening(addr, p.Child, p.log)
}
