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
