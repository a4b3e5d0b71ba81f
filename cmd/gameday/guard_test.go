package main

import (
	"strings"
	"testing"
)

// TestNewCmdGuard: `gameday guard` is plumbing — hidden from help, one
// guard ID or exit 2 — and passes the ID on.
func TestNewCmdGuard(t *testing.T) {
	ios, _, out, _ := testStreams()
	if code := run([]string{"--help"}, ios); code != 0 || strings.Contains(out.String(), "\n  guard ") {
		t.Errorf("gameday --help = %d, lists guard:\n%s", code, out)
	}
	ios, _, _, errOut := testStreams()
	if code := run([]string{"guard"}, ios); code != ExitBadInput || !strings.Contains(errOut.String(), "guard needs exactly one guard ID, got 0 arguments") {
		t.Errorf("gameday guard = %d %q, want exit 2 and one sentence", code, errOut)
	}
	var got *GuardOptions
	cmd := NewCmdGuard(ios, func(o *GuardOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"3f9a0c12-cache-1"})
	if err := cmd.Execute(); err != nil || got == nil || got.ID != "3f9a0c12-cache-1" {
		t.Errorf("guard 3f9a0c12-cache-1: %v, options %+v", err, got)
	}
}
