package sshx_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
)

// TestCloseDuringADialClosesTheConnectionItYields closes the pool while a
// dial waits on a frozen sshd: once sshd answers, the connection the dial
// gets must be closed, not left open on the host.
func TestCloseDuringADialClosesTheConnectionItYields(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	inv := bed.Inventory()
	h := bed.Hosts[0]
	established := func() int {
		out := strings.TrimSpace(bed.Exec(h, "ss", "-Htn", "state", "established", "( sport = :22 )"))
		if out == "" {
			return 0
		}
		return strings.Count(out, "\n") + 1
	}
	pool := sshx.New(inv, isolated(t))
	if n := bed.Signal(h, "sshd", syscall.SIGSTOP); n < 1 {
		t.Fatalf("stopped %d sshd processes, want the listener", n)
	}
	thawed := false
	defer func() {
		if !thawed {
			bed.Signal(h, "sshd", syscall.SIGCONT)
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := pool.Run(context.Background(), inv.Hosts[0], "true")
		done <- err
	}()
	// The kernel completes the TCP handshake for the frozen listener; the
	// SSH handshake waits.
	for deadline := time.Now().Add(5 * time.Second); established() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the pool never connected to host1")
		}
	}
	pool.Close()
	bed.Signal(h, "sshd", syscall.SIGCONT)
	thawed = true
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	for deadline := time.Now().Add(5 * time.Second); established() != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d SSH connections still open on host1 after the pool closed", established())
		}
	}
}
