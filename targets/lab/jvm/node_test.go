package jvm

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestNodeKillIsDownAtOnce: a node killed by a fault is down as soon as
// Signal returns, so the lab's check right after it (the fault's verify:
// "want it in place") does not find it running. A shell stands in for
// the JVM: it is started, readied and signalled as a JVM node is, and it
// forks and ignores SIGTERM as a JVM's launcher may.
func TestNodeKillIsDownAtOnce(t *testing.T) {
	dir := t.TempDir()
	n := &Node{
		Name: "cassandra-1", Addr: "127.0.0.1", Port: 9042, DataDir: dir, LogFile: filepath.Join(dir, "node.log"),
		argv:  []string{"sh", "-c", `trap "" TERM; echo "node is ready"; sleep 600 & wait`},
		ready: "node is ready",
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for round := range 5 {
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if !n.Running() || n.PID() == 0 {
			t.Fatalf("round %d: a started node is not running", round)
		}
		if err := n.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if n.Running() || n.PID() != 0 {
			t.Fatalf("round %d: right after SIGKILL the node is running (pid %d)", round, n.PID())
		}
		// A revert's kill of a node already down is a no-op.
		if err := n.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("round %d: SIGKILL to a killed node: %v", round, err)
		}
	}
}
