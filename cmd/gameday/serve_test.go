package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBadInputIsOneSentence: a malformed keys file (file:line), a
// key of an unknown type, a wrong role name, a port in use — each one
// sentence, exit 2, no stack, and no session journal left behind.
func TestServeBadInputIsOneSentence(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("name: x\nhosts:\n  - name: a\n    address: 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, good := writeClientKey(t, dir, "alice", "facilitator")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := map[string]struct {
		keys, listen, want string
	}{
		"malformed line": {"# room\nalice facilitator\n", "127.0.0.1:0", "war-room.keys:2: want NAME ROLE PUBLIC-KEY"},
		"unknown key":    {"alice facilitator ssh-foo AAAAB3NzaC1yc2E\n", "127.0.0.1:0", "war-room.keys:1: alice's public key does not parse"},
		"wrong role":     {strings.Replace(good, "facilitator", "admin", 1), "127.0.0.1:0", `war-room.keys:1: role "admin" is not one of facilitator, scribe, observer, trainer, trainee`},
		"port in use":    {good, taken.Addr().String(), "cannot listen on " + taken.Addr().String() + ": address already in use"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			keys := filepath.Join(t.TempDir(), "war-room.keys")
			if err := os.WriteFile(keys, []byte(tc.keys), 0o600); err != nil {
				t.Fatal(err)
			}
			io, _, _, errOut := testStreams()
			code := run([]string{"serve", "-i", inv, "--listen", tc.listen, "--keys", keys, "--state-dir", state}, io)
			msg := errOut.String()
			if code != ExitBadInput || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "goroutine") {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line with %q", code, msg, tc.want)
			}
			if entries, _ := os.ReadDir(filepath.Join(state, "sessions")); len(entries) != 0 {
				t.Errorf("bad input left a session journal: %v", entries)
			}
		})
	}
}

// TestServeDrillBadInput: a drill that does not fit the inventory is
// refused before anything is served or recorded — one line per problem
// naming file:line:col, exit 2, no session journal — and --drill goes
// neither with --read-only nor with --runbook.
func TestServeDrillBadInput(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("name: x\nhosts:\n  - name: a\n    address: 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	drill := filepath.Join(dir, "drill.yaml")
	src := "name: d\nbriefing: b\nscenarios:\n  - window: {from: 1m, to: 2m}\n    lasts: 1m\n    candidates:\n      - {kind: kill, hosts: [b]}\n"
	if err := os.WriteFile(drill, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	_, good := writeClientKey(t, dir, "tom", "trainer")
	keys := filepath.Join(dir, "training.keys")
	if err := os.WriteFile(keys, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		extra []string
		want  string
	}{
		"does not fit": {nil, drill + `:7:30: scenarios[0].candidates[0].hosts[0]: hosts "b": no host named "b" in the inventory`},
		"read-only":    {[]string{"--read-only"}, "--drill arms faults, so it cannot go with --read-only"},
		"runbook":      {[]string{"--runbook", "r.yaml"}, "--drill and --runbook cannot go together: a session runs one of them"},
	} {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			io, _, out, errOut := testStreams()
			args := append([]string{"serve", "-i", inv, "--listen", "127.0.0.1:0", "--keys", keys, "--state-dir", state, "--drill", drill}, tc.extra...)
			code := run(args, io)
			msg := errOut.String()
			if code != ExitBadInput || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "goroutine") {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line with %q", code, msg, tc.want)
			}
			if entries, _ := os.ReadDir(filepath.Join(state, "sessions")); len(entries) != 0 {
				t.Errorf("bad input left a session journal: %v", entries)
			}
			if strings.Contains(out.String(), "listening") {
				t.Errorf("served on bad input: %s", out)
			}
		})
	}
}
