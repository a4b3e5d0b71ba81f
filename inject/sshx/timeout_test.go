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

// slack is how much later than its timeout a call may return: scheduling
// on a busy 2-core machine, not work.
const slack = 1500 * time.Millisecond

func TestHungHostNeverHangsTheCaller(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{})
	inv := bed.Inventory()
	hung, fine := bed.Hosts[0], bed.Hosts[1]
	cfg := isolated(t)
	cfg.Timeout = 2 * time.Second
	pool := sshx.New(inv, cfg)
	defer pool.Close()

	if _, err := pool.Run(context.Background(), inv.Hosts[0], "true"); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	// Freeze every sshd of host1: the listener and the pooled session's
	// processes alike.
	if n := bed.Signal(hung, "sshd", syscall.SIGSTOP); n < 2 {
		t.Fatalf("stopped %d sshd processes, want the listener and the session's", n)
	}
	defer bed.Signal(hung, "sshd", syscall.SIGCONT)

	t.Run("pooled connection", func(t *testing.T) {
		start := time.Now()
		_, err := pool.Run(context.Background(), inv.Hosts[0], "echo hi")
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "host host1: no answer within 2s") {
			t.Fatalf("err = %v, want host1's timeout", err)
		}
		if took > cfg.Timeout+slack {
			t.Fatalf("Run took %s with a %s timeout", took, cfg.Timeout)
		}
	})

	t.Run("new connection", func(t *testing.T) {
		fresh := sshx.New(inv, cfg)
		defer fresh.Close()
		start := time.Now()
		_, err := fresh.Run(context.Background(), inv.Hosts[0], "echo hi")
		if err == nil {
			t.Fatalf("Run on a frozen host succeeded")
		}
		if took := time.Since(start); took > cfg.Timeout+slack {
			t.Fatalf("Run took %s with a %s timeout (%v)", took, cfg.Timeout, err)
		}
	})

	t.Run("caller's context is shorter", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := pool.Run(ctx, inv.Hosts[0], "echo hi"); err == nil {
			t.Fatalf("Run on a frozen host succeeded")
		}
		if took := time.Since(start); took > 300*time.Millisecond+slack {
			t.Fatalf("Run took %s with a 300ms context", took)
		}
	})

	t.Run("fan-out reports the hung host and runs the others", func(t *testing.T) {
		start := time.Now()
		out := pool.RunAll(context.Background(), inv.Hosts, "echo up")
		if took := time.Since(start); took > cfg.Timeout+slack {
			t.Fatalf("RunAll took %s with a %s per-host timeout", took, cfg.Timeout)
		}
		if out[hung.Name].Err == nil {
			t.Fatalf("hung host: no error: %+v", out[hung.Name])
		}
		if o := out[fine.Name]; o.Err != nil || o.Stdout != "up\n" {
			t.Fatalf("healthy host: %+v", o)
		}
	})

	// Thawed, the host is reached again on a new connection.
	bed.Signal(hung, "sshd", syscall.SIGCONT)
	dials := pool.Dials()
	res, err := pool.Run(context.Background(), inv.Hosts[0], "echo back")
	if err != nil || res.Stdout != "back\n" {
		t.Fatalf("after SIGCONT: %+v, %v", res, err)
	}
	if pool.Dials() > dials+1 {
		t.Fatalf("dials %d -> %d: the broken connection should be replaced once", dials, pool.Dials())
	}
}

func TestHalfDeadConnectionIsReplacedBeforeTheScriptRuns(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	h := bed.Hosts[0]
	inv := bed.Inventory()
	cfg := isolated(t)
	cfg.Timeout = 8 * time.Second
	cfg.KeepaliveAfter = time.Millisecond // check before every script
	pool := sshx.New(inv, cfg)
	defer pool.Close()
	if _, err := pool.Run(context.Background(), inv.Hosts[0], "true"); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	// Freeze the pooled connection's sshd processes but not the listener:
	// the connection is half-dead, the host itself answers.
	var frozen []int
	for _, pid := range bed.Pids(h, "sshd") {
		if pid != h.SSHDPid() {
			syscall.Kill(pid, syscall.SIGSTOP)
			frozen = append(frozen, pid)
		}
	}
	defer func() {
		for _, pid := range frozen {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	if len(frozen) == 0 {
		t.Fatalf("no per-connection sshd process to freeze")
	}
	time.Sleep(5 * time.Millisecond)
	start := time.Now()
	res, err := pool.Run(context.Background(), inv.Hosts[0], "echo ok")
	if err != nil || res.Stdout != "ok\n" {
		t.Fatalf("Run over a half-dead connection = %+v, %v; want it replaced and the script run", res, err)
	}
	if d := pool.Dials(); d != 2 {
		t.Fatalf("dials = %d, want 2 (the frozen connection replaced once)", d)
	}
	if took := time.Since(start); took > 3*time.Second+slack {
		t.Fatalf("replacing the connection took %s; the keepalive check is bounded by 3s", took)
	}
}
