package probes

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// commandSet builds the command probes of inv as NewSet would, with a
// short interval, and runs the first one.
func runCommand(t *testing.T, inv *targets.Inventory, opts Options) (*Set, func(string) Reading) {
	t.Helper()
	opts.Report = 200 * time.Millisecond
	s, err := NewSet(inv, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.entries) != 1 {
		t.Fatalf("%d probes, want the one command probe", len(s.entries))
	}
	e := s.entries[0]
	_, sub := runProbe(t, e.probe, e.cfg)
	return s, func(target string) Reading {
		return nextReading(t, sub, target, 30*time.Second, func(Reading) bool { return true })
	}
}

func commandInventory(c targets.Command) *targets.Inventory {
	if c.Probes == nil {
		c.Probes = targets.Probes{"run": {Interval: time.Second, Timeout: time.Second}}
	}
	return &targets.Inventory{Services: targets.Services{Command: []targets.Command{c}}}
}

// TestCommandProbeLocally: exit status decides success, the value comes
// from the output, a command that hangs past the timeout is the probe's
// error and its whole process group is killed.
func TestCommandProbeLocally(t *testing.T) {
	t.Run("value", func(t *testing.T) {
		_, next := runCommand(t, commandInventory(targets.Command{Name: "repl",
			Command: []string{"sh", "-c", "printf 'role:master\\nconnected_slaves:3\\n'"}, Value: `connected_slaves:(\d+)`,
			Probes: targets.Probes{"run": {Interval: time.Second, Thresholds: []string{"value >= 2", "errors == 0"}}}}), Options{})
		r := next("repl")
		if r.Status != StatusOK || r.Value != 3 || !strings.HasPrefix(r.Detail, "exit 0, value 3") {
			t.Fatalf("reading %s value %g %q, want ok, value 3", r.Status, r.Value, r.Detail)
		}
	})
	t.Run("exit status", func(t *testing.T) {
		_, next := runCommand(t, commandInventory(targets.Command{Name: "check",
			Command: []string{"sh", "-c", "echo replication broken >&2; exit 3"}}), Options{})
		r := next("check")
		if r.Status != StatusBreach || r.Threshold != "errors == 0" || r.Value != 3 || r.ErrorClasses["exit_3"] != 1 || !strings.Contains(r.Detail, "exit 3: replication broken") {
			t.Fatalf("reading %s by %q value %g %v %q, want a breach of errors == 0 with exit 3 and its stderr", r.Status, r.Threshold, r.Value, r.ErrorClasses, r.Detail)
		}
	})
	t.Run("no number", func(t *testing.T) {
		_, next := runCommand(t, commandInventory(targets.Command{Name: "n",
			Command: []string{"echo", "nothing here"}, Value: `(\d+)`}), Options{})
		if r := next("n"); r.Status != StatusError || !strings.Contains(r.Detail, "no number matching") {
			t.Fatalf("reading %s %q, want error: no number", r.Status, r.Detail)
		}
	})
	t.Run("timeout kills the group", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "pid")
		// The shell's child sleeps in the same process group.
		_, next := runCommand(t, commandInventory(targets.Command{Name: "hang",
			Command: []string{"sh", "-c", "sleep 30 & echo $! > " + pidFile + "; wait"},
			Probes:  targets.Probes{"run": {Interval: time.Second, Timeout: 300 * time.Millisecond}}}), Options{})
		r := next("hang")
		if r.Status != StatusError || r.Detail != "no answer within 300ms" {
			t.Fatalf("reading %s %q, want error: no answer within 300ms", r.Status, r.Detail)
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		for deadline := time.Now().Add(5 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the command's child %d still runs after the timeout", pid)
			}
		}
	})
}

// TestCommandProbeOverSSH is #18's acceptance for the command probe: it
// runs on a namespace host through the same SSH layer as faults (the
// output names the host's own address, which only its namespace has),
// every argument arrives as written, and the number parsed from the
// output is the value.
func TestCommandProbeOverSSH(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	inv := bed.Inventory()
	h := bed.Hosts[0]
	tricky := []string{"a b", "$(id -u)", "it's", "*", "x;y"}
	inv.Services.Command = []targets.Command{{Name: "addr", Host: h.Name,
		Command: append([]string{"sh", "-c", `ip -4 -o addr show | grep -o 'inet [0-9.]*' | grep -v 127.0.0.1; printf '[%s]' "$@"; echo; echo octet=${0##*.}`, ""}, tricky...),
		Value:   `octet=(\d+)`,
		Probes:  targets.Probes{"run": {Interval: time.Second, Timeout: 10 * time.Second, Thresholds: []string{"value > 0"}}}}}
	// $0 is the host's address: the script reads its last octet back.
	inv.Services.Command[0].Command[3] = h.Addr
	pool := sshx.New(inv, sshx.Config{Timeout: 10 * time.Second})
	t.Cleanup(func() { pool.Close() })
	_, next := runCommand(t, inv, Options{SSH: pool})
	r := next("addr")
	octet, _ := strconv.Atoi(h.Addr[strings.LastIndexByte(h.Addr, '.')+1:])
	if r.Status != StatusOK || r.Value != float64(octet) || !strings.Contains(r.Detail, "inet "+h.Addr) {
		t.Fatalf("reading %s value %g %q, want ok with value %d and the host's address %s", r.Status, r.Value, r.Detail, octet, h.Addr)
	}
	out, err := pool.Run(t.Context(), mustHost(t, inv, h.Name), sshx.Quote(inv.Services.Command[0].Command...))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[a b][$(id -u)][it's][*][x;y]"; !strings.Contains(out.Stdout, want) {
		t.Fatalf("the remote shell saw the arguments as %q, want %q", out.Stdout, want)
	}
	if pool.Dials() != 1 {
		t.Errorf("%d SSH connections for repeated runs, want the pooled one", pool.Dials())
	}
}

func mustHost(t *testing.T, inv *targets.Inventory, name string) targets.Host {
	t.Helper()
	h, ok := inv.Host(name)
	if !ok {
		t.Fatalf("no host %s", name)
	}
	return h
}
