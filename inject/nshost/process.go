package nshost

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is a daemon started inside a host's namespace with
// `ip netns exec`, which execs it in place: the PID is the daemon's.
type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// start runs argv inside ns with output appended to logPath.
func start(ns, logPath string, argv ...string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group keeps a test's Ctrl-C from reaching it first,
	// so teardown decides when it dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s in %s: %w", argv[0], ns, err)
	}
	p := &process{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

// Pid returns the daemon's process ID.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// kill SIGKILLs the daemon and waits for it; nil and dead processes are fine.
func (p *process) kill() {
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// waitListening waits until addr accepts TCP connections, or p dies, or 10 s
// pass.
func waitListening(addr string, p *process) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			log, _ := os.ReadFile(p.log)
			return fmt.Errorf("exited before listening on %s: %s", addr, log)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after 10s (log %s)", addr, p.log)
}
