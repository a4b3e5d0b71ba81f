package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestTUIFlags(t *testing.T) {
	tests := map[string]struct {
		args []string
		want TUIOptions
		help bool
	}{
		"inventory":           {args: []string{"-i", "inv.yaml"}, want: TUIOptions{Inventory: "inv.yaml"}},
		"read-only spectator": {args: []string{"--inventory", "inv.yaml", "--read-only"}, want: TUIOptions{Inventory: "inv.yaml", ReadOnly: true}},
		"state dir":           {args: []string{"-i", "inv.yaml", "--state-dir", "/tmp/s"}, want: TUIOptions{Inventory: "inv.yaml", StateDir: "/tmp/s"}},
		"runbook":             {args: []string{"-i", "inv.yaml", "--runbook", "rb.yaml"}, want: TUIOptions{Inventory: "inv.yaml", Runbook: "rb.yaml"}},
		"runbook variables": {args: []string{"-i", "inv.yaml", "--runbook", "rb.yaml", "--var", "a=1", "--var-file", "v.yaml", "--var", "b=x,y"},
			want: TUIOptions{Inventory: "inv.yaml", Runbook: "rb.yaml", Vars: VarOptions{Vars: []string{"a=1", "b=x,y"}, VarFiles: []string{"v.yaml"}}}},
		"no inventory is help": {args: nil, help: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			io, _, out, _ := testStreams()
			var got *TUIOptions
			cmd := &cobra.Command{Use: "gameday", Example: "  gameday -i inventory.yaml"}
			cmd.SetOut(io.Out)
			addTUI(cmd, io, func(o *TUIOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if tc.help {
				if got != nil || !strings.Contains(out.String(), "gameday -i inventory.yaml") {
					t.Fatalf("bare gameday: ran %v, printed %q; want the help", got, out.String())
				}
				return
			}
			if got == nil {
				t.Fatal("the TUI was not run")
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestRootOpensTheTUI(t *testing.T) {
	io, _, _, _ := testStreams()
	root := NewCmdRoot(io)
	for _, name := range []string{"inventory", "read-only", "runbook", "state-dir"} {
		if root.Flags().Lookup(name) == nil {
			t.Errorf("gameday has no --%s flag", name)
		}
	}
	if root.RunE == nil {
		t.Error("bare gameday does nothing")
	}
}

func TestTUIBadInventoryIsOneSentence(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("name: x\nhosts:\n  - name: a\n    adress: 1.2.3.4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, _, errOut := testStreams()
	code := run([]string{"-i", inv, "--state-dir", dir}, io)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitBadInput, errOut.String())
	}
	msg := errOut.String()
	if !strings.Contains(msg, "inventory.yaml:") || strings.Contains(msg, "goroutine") {
		t.Fatalf("stderr %q: want a file:line message and no stack", msg)
	}
}

func TestTUIRunbookIsNotForSpectators(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("name: x\nhosts:\n  - name: a\n    address: 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, _, errOut := testStreams()
	code := run([]string{"-i", inv, "--read-only", "--runbook", filepath.Join(dir, "rb.yaml"), "--state-dir", dir}, io)
	if code != ExitBadInput || !strings.Contains(errOut.String(), "--read-only") {
		t.Fatalf("exit %d, stderr %q; want exit 2 naming --read-only", code, errOut.String())
	}
}

func TestTUINeedsATerminal(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("name: x\nhosts:\n  - name: a\n    address: 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, _, errOut := testStreams()
	code := run([]string{"-i", inv, "--state-dir", dir}, io)
	if code != ExitBadInput || !strings.Contains(errOut.String(), "needs a terminal") {
		t.Fatalf("exit %d, stderr %q; want exit 2 saying a terminal is needed", code, errOut.String())
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "sessions")); len(entries) != 0 {
		t.Fatalf("a session journal was left behind: %v", entries)
	}
}
