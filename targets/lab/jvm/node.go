package jvm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/internal/proc"
)

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

	// StartScript, on a namespace host, is a shell script that starts the
	// node again from inside its host with its original command line: the
	// start command a kill fault runs over SSH on revert.
	StartScript string

	argv  []string
	ready string // log line that says the node is up
	// host is the node's namespace host, nil on loopback; marker is an
	// argument only this node's command line holds, by which a JVM
	// started over SSH (not by us) is found on it.
	host   *hostns.Host
	marker string

	run proc.Restartable
}

// Endpoint is Addr:Port.
func (n *Node) Endpoint() string { return net.JoinHostPort(n.Addr, fmt.Sprint(n.Port)) }

// PID is the node's process id, or 0 when it is not running. On a
// namespace host it is also the JVM someone started there over SSH (the
// start command of a kill fault's revert).
func (n *Node) PID() int {
	if pid := n.run.PID(); pid != 0 || n.host == nil {
		return pid
	}
	return n.foreignPID()
}

// foreignPID finds a JVM of this node on its host that we did not start.
func (n *Node) foreignPID() int {
	out, _ := hostns.Run("ip", "netns", "pids", n.host.NS)
	for _, f := range strings.Fields(out) {
		b, err := os.ReadFile("/proc/" + f + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 0 && filepath.Base(args[0]) == "java" && slices.Contains(args, n.marker) {
			pid, _ := strconv.Atoi(f)
			if proc.Alive(pid) {
				return pid
			}
		}
	}
	return 0
}

// Paused reports whether the node is stopped by a pause fault.
func (n *Node) Paused() bool { return n.run.Paused() }

// Running tells whether the node's process is alive.
func (n *Node) Running() bool { return n.PID() != 0 }

// Start launches the node (again, after a kill or stop) with its original
// command line and waits until its log says it is ready. A running node is
// left alone. The JVM dies with the lab, even a SIGKILLed one (proc.Start).
func (n *Node) Start(ctx context.Context) error {
	// Readiness is read from what this start appends to the log.
	var offset int64
	if st, err := os.Stat(n.LogFile); err == nil {
		offset = st.Size()
	}
	if n.host != nil && n.foreignPID() != 0 {
		return nil // started over SSH, by its start script
	}
	spec := proc.Spec{Argv: n.argv, Log: n.LogFile, Faketime: n.FaketimeFile}
	if n.host != nil {
		spec = n.host.Spec(spec)
	}
	p, started, err := n.run.Start(spec)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	if !started {
		return nil
	}
	if n.Cgroup != "" && os.Geteuid() == 0 {
		// Best effort: without it a cut is one-way, and Isolate says so.
		_ = joinCgroup(n.Cgroup, p.PID())
	}
	return n.waitReady(ctx, offset, p.Done())
}

// waitReady polls the log from offset for the ready line.
func (n *Node) waitReady(ctx context.Context, offset int64, done <-chan struct{}) error {
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

// Signal sends sig to the node's process (group). Signalling a stopped
// node is an error except for KILL and CONT, which are then no-ops
// (idempotent reverts), as for every lab node. After KILL it returns once
// the process is gone (proc.Child.Signal), so a check right after it
// finds the node down, not a JVM still tearing down with its port open.
func (n *Node) Signal(sig syscall.Signal) error {
	if n.run.PID() == 0 && n.host != nil {
		if pid := n.foreignPID(); pid != 0 {
			if err := syscall.Kill(pid, sig); err != nil || sig != syscall.SIGKILL {
				return err
			}
			return waitGone(pid)
		}
	}
	err := n.run.Signal(sig)
	if errors.Is(err, proc.ErrExited) {
		return errors.New(n.Name + " is not running")
	}
	return err
}

// waitGone waits until pid, a process we did not start (so not ours to
// reap), has exited.
func waitGone(pid int) error {
	for deadline := time.Now().Add(30 * time.Second); proc.Alive(pid); {
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d has not exited 30s after SIGKILL", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// Stop ends the node: SIGTERM (with SIGCONT, as a paused JVM ignores
// SIGTERM until continued), then SIGKILL after grace. It returns when the
// process is gone.
func (n *Node) Stop(grace time.Duration) { _ = n.run.Stop(grace) }

// SetClockOffset writes the node's libfaketime offset (e.g. "-60s", "+0").
func (n *Node) SetClockOffset(offset string) error {
	if n.FaketimeFile == "" {
		return errors.New(n.Name + " does not run under libfaketime (install the libfaketime package)")
	}
	return proc.SetClockOffset(n.FaketimeFile, offset)
}

// writeStartScript writes, for a node on a namespace host, the script that
// starts it again from inside the host: its command line, its libfaketime
// environment, its log.
func (n *Node) writeStartScript(dir string) error {
	if n.host == nil {
		return nil
	}
	argv := n.argv
	if n.FaketimeFile != "" {
		argv = append(append([]string{"env"}, proc.FaketimeEnv(n.FaketimeFile)...), argv...)
	}
	n.StartScript = filepath.Join(dir, "start.sh")
	script := "#!/bin/sh\n# Starts " + n.Name + " again on its host (a kill fault's start command).\n" +
		"exec " + sshx.Quote(argv...) + " >> " + sshx.Quote(n.LogFile) + " 2>&1\n"
	return os.WriteFile(n.StartScript, []byte(script), 0o755)
}
