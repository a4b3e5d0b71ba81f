package jvm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// faketimeLib is Debian's libfaketime; nodes run under it so that a
// clock-drift fault moves one JVM's clock and never the machine's.
const faketimeLib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

// Node is one JVM of a cluster, bound to its own loopback address.
type Node struct {
	Name    string // "kafka-1", "cassandra-2"
	Addr    string // 127.0.X.N
	Port    int    // client port (9092, 9042)
	DataDir string
	LogFile string
	// FaketimeFile holds the node's libfaketime offset ("+0", "-60s");
	// empty when libfaketime is not installed.
	FaketimeFile string
	// Cgroup is the node's cgroup v2 group (relative path), joined at every
	// start, by which the firewall cuts what the node sends.
	Cgroup string

	argv  []string
	env   []string
	ready string // log line that says the node is up

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Endpoint is Addr:Port.
func (n *Node) Endpoint() string { return net.JoinHostPort(n.Addr, fmt.Sprint(n.Port)) }

// PID is the node's process id, or 0 when it is not running.
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil || n.exited() {
		return 0
	}
	return n.cmd.Process.Pid
}

func (n *Node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// Running tells whether the node's process is alive.
func (n *Node) Running() bool { return n.PID() != 0 }

// Start launches the node (again, after a kill or stop) with its original
// command line and waits until its log says it is ready.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	if n.cmd != nil && !n.exited() {
		n.mu.Unlock()
		return nil
	}
	logf, err := os.OpenFile(n.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.mu.Unlock()
		return err
	}
	start, _ := logf.Seek(0, 2)
	cmd := exec.Command(n.argv[0], n.argv[1:]...)
	cmd.Env = n.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group, and killed with its parent: a crashed lab must
	// not leave JVMs behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		n.mu.Unlock()
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	done := make(chan struct{})
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	if n.Cgroup != "" && os.Geteuid() == 0 {
		// Best effort: without it a cut is one-way, and Isolate says so.
		_ = joinCgroup(n.Cgroup, cmd.Process.Pid)
	}
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	return n.waitReady(ctx, start, done)
}

// waitReady polls the log from offset for the ready line.
func (n *Node) waitReady(ctx context.Context, offset int64, done chan struct{}) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		if found, _ := logContains(n.LogFile, offset, n.ready); found {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not become ready: %w (log: %s)", n.Name, ctx.Err(), n.LogFile)
		case <-done:
			tail, _ := os.ReadFile(n.LogFile)
			return fmt.Errorf("%s exited during start-up; last log lines:\n%s", n.Name, lastLines(string(tail), 10))
		case <-t.C:
		}
	}
}

func logContains(path string, offset int64, needle string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return false, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if strings.Contains(sc.Text(), needle) {
			return true, nil
		}
	}
	return false, sc.Err()
}

// Signal sends sig to the node's process.
func (n *Node) Signal(sig syscall.Signal) error {
	pid := n.PID()
	if pid == 0 {
		return errors.New(n.Name + " is not running")
	}
	return syscall.Kill(pid, sig)
}

// Stop ends the node: SIGTERM, then SIGKILL after grace. It returns when
// the process is gone.
func (n *Node) Stop(grace time.Duration) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	// A paused JVM ignores SIGTERM until continued.
	_ = cmd.Process.Signal(syscall.SIGCONT)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// SetClockOffset writes the node's libfaketime offset (e.g. "-60s", "+0").
func (n *Node) SetClockOffset(offset string) error {
	if n.FaketimeFile == "" {
		return errors.New(n.Name + " does not run under libfaketime (install the libfaketime package)")
	}
	return os.WriteFile(n.FaketimeFile, []byte(offset+"\n"), 0o644)
}

// faketimeEnv returns the environment that puts a JVM under libfaketime
// reading its offset from file, or nil when libfaketime is missing.
func faketimeEnv(file string) []string {
	if _, err := os.Stat(faketimeLib); err != nil {
		return nil
	}
	return []string{
		"LD_PRELOAD=" + faketimeLib,
		"FAKETIME_TIMESTAMP_FILE=" + file,
		// Re-read the file at most once a second instead of caching the
		// offset forever, so that drift can be applied and reverted live.
		"FAKETIME_CACHE_DURATION=1",
		// The JVM measures timeouts with the monotonic clock; faked, its
		// timed waits return at once and hundreds of threads spin (seen
		// here: load average 150 and a broker that never registered).
		"FAKETIME_DONT_FAKE_MONOTONIC=1",
	}
}
