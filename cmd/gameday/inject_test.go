package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
)

const faultInventory = `name: t
hosts:
  - name: db1
    address: 10.0.0.1
    roles: [cassandra]
  - name: db2
    address: 10.0.0.2
    roles: [cassandra]
  - name: db3
    address: 10.0.0.3
    roles: [cassandra]
services:
  cassandra:
    - name: main
      hosts: [db1, db2, db3]
      contact_points: [10.0.0.1]
      keyspace: ks
`

// faultEnv writes the inventory and points the state directory (and so the
// ledger) at a temporary directory.
func faultEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte(faultInventory), 0o600); err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestNewCmdInject(t *testing.T) {
	tests := map[string]struct {
		args    []string
		want    InjectOptions
		wantErr string
	}{
		"all flags": {
			args: []string{"partition", "--host", "db1,db2", "-H", "tag:x", "-p", "direction=in", "--param", "peers=db3", "--ttl", "5m", "--dry-run", "--i-know", "-i", "inv.yaml"},
			want: InjectOptions{Kind: "partition", Hosts: []string{"db1", "db2", "tag:x"}, Params: []string{"direction=in", "peers=db3"}, TTL: 5 * time.Minute, DryRun: true, IKnow: true, Inventory: "inv.yaml"},
		},
		"default ttl": {
			args: []string{"kill", "--host", "db1", "-i", "inv.yaml"},
			want: InjectOptions{Kind: "kill", Hosts: []string{"db1"}, TTL: inject.DefaultTTL, Inventory: "inv.yaml"},
		},
		"accept new host keys": {
			args: []string{"kill", "--host", "db1", "--accept-new-host-keys", "-i", "inv.yaml"},
			want: InjectOptions{Kind: "kill", Hosts: []string{"db1"}, TTL: inject.DefaultTTL, Inventory: "inv.yaml", AcceptNew: true},
		},
		"no kind":      {args: []string{"--host", "db1", "-i", "inv.yaml"}, wantErr: "inject needs exactly one fault KIND"},
		"no host":      {args: []string{"kill", "-i", "inv.yaml"}, wantErr: "--host is required"},
		"no inventory": {args: []string{"kill", "--host", "db1"}, wantErr: "-i inventory.yaml is required"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, _, _ := testStreams()
			var got *InjectOptions
			cmd := NewCmdInject(ios, func(o *InjectOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if got.Kind != tc.want.Kind || strings.Join(got.Hosts, "|") != strings.Join(tc.want.Hosts, "|") ||
				strings.Join(got.Params, "|") != strings.Join(tc.want.Params, "|") || got.TTL != tc.want.TTL ||
				got.DryRun != tc.want.DryRun || got.IKnow != tc.want.IKnow || got.Inventory != tc.want.Inventory || got.AcceptNew != tc.want.AcceptNew {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// TestInjectExitStatuses runs the real commands: bad input exits 2 with one
// sentence and nothing reaches the ledger; a dry run prints the plan.
func TestInjectExitStatuses(t *testing.T) {
	inv := faultEnv(t)
	tests := map[string]struct {
		args     []string
		code     int
		stderr   string
		stdout   []string
		noLedger bool
	}{
		"bad kind":     {args: []string{"inject", "meteor", "--host", "db1", "-i", inv}, code: 2, stderr: `gameday: unknown fault kind "meteor" (known: latency, loss, partition, bandwidth, slicer, limit-data, disk-fill, clock-drift, kill, pause, stop)`},
		"bad param":    {args: []string{"inject", "latency", "--host", "db1", "-p", "delay=5x", "-i", inv}, code: 2, stderr: `gameday: latency: param delay: "5x" is not a duration (use 500ms, 2s, 1m)`},
		"param no =":   {args: []string{"inject", "latency", "--host", "db1", "-p", "delay", "-i", inv}, code: 2, stderr: `gameday: --param "delay": want key=value`},
		"bad host":     {args: []string{"inject", "kill", "--host", "db9", "-p", "unit=x", "-i", inv}, code: 2, stderr: `gameday: --host: no host named "db9" in the inventory; did you mean "db1"?`},
		"ttl too long": {args: []string{"inject", "partition", "--host", "db1", "--ttl", "48h", "-i", inv}, code: 2, stderr: "gameday: ttl 48h0m0s is longer than the 24h0m0s gameday allows: every fault must expire"},
		"majority":     {args: []string{"inject", "partition", "--host", "db1,db2", "-i", inv}, code: 2, stderr: `gameday: refused: the fault takes down 2 of 3 cassandra service "main": a majority; confirm with --i-know`},
		"dry run": {args: []string{"inject", "partition", "--host", "db1", "-p", "peers=db2", "--dry-run", "-i", inv}, code: 0,
			stdout: []string{"dry run: partition on db1, TTL 10m0s; nothing was changed", "== host db1, over SSH", "-A GAMEDAY-", "-s 10.0.0.2 -j DROP", "setsid nohup sh ", "sleep 600"}},
		"unknown revert id": {args: []string{"revert", "nope"}, code: 2, stderr: `gameday: no fault "nope" in the ledger`},
		"revert both":       {args: []string{"revert", "--all", "abc"}, code: 2, stderr: "gameday: give either a fault ID or --all, not both"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, out, errOut := testStreams()
			code := run(tc.args, ios)
			if code != tc.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if tc.stderr != "" {
				if got := strings.TrimSpace(errOut.String()); !strings.HasPrefix(got, tc.stderr) || strings.Count(got, "\n") > 0 {
					t.Errorf("stderr = %q, want one line starting %q", got, tc.stderr)
				}
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
		})
	}
	// None of the above armed anything.
	ios, _, out, _ := testStreams()
	if code := run([]string{"faults", "--all"}, ios); code != 0 || strings.TrimSpace(out.String()) != "the ledger holds no fault" {
		t.Errorf("faults --all = %d %q, want an empty ledger", code, out)
	}
}

func TestFaultsListsTheLedger(t *testing.T) {
	faultEnv(t)
	state := os.Getenv("XDG_STATE_HOME")
	l, err := inject.OpenLedger(filepath.Join(state, "gameday", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	host, _ := os.Hostname()
	l.Put(&inject.Record{ID: "0a0b0c0d", Kind: "partition", Hosts: []string{"db1"}, TTL: 10 * time.Minute, State: inject.StateArmed,
		Session: inject.Session{Host: host, PID: 1 << 22, Start: 1}, Created: now.Add(-2 * time.Minute), ArmedAt: now.Add(-2 * time.Minute), Deadline: now.Add(8 * time.Minute),
		PerHost: map[string]*inject.HostEntry{"db1": {Touched: true, Status: "armed"}}})
	ios, _, out, errOut := testStreams()
	if code := run([]string{"faults"}, ios); code != 0 {
		t.Fatalf("faults exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("faults printed %d lines, want header + 1:\n%s", len(lines), out)
	}
	for _, want := range []string{"0a0b0c0d", "partition", "db1", "armed", "2m0s", "8m0s", "dead"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
}
