package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/drills"
)

var drillData = filepath.Join("..", "..", "drills", "testdata")

func TestDrillFlags(t *testing.T) {
	io, _, _, _ := testStreams()
	var got *DrillOptions
	cmd := NewCmdDrill(io, func(o *DrillOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"d.yaml", "-i", "inv.yaml", "--check", "--i-know", "--var", "from=10s", "--seed", "7", "--state-dir", "st"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Drill != "d.yaml" || got.Inventory != "inv.yaml" || !got.Check || !got.IKnow || len(got.Vars.Vars) != 1 || got.Seed != 7 || got.StateDir != "st" {
		t.Fatalf("options = %+v", got)
	}
}

// TestDrillBadInput: every bad drill file, and a drill that does not fit
// the inventory, is refused in one line per problem with file, line and
// column, exit 2, and nothing on stdout.
func TestDrillBadInput(t *testing.T) {
	inv := filepath.Join(runbookData, "tiny-inventory.yaml")
	files, err := filepath.Glob(filepath.Join(drillData, "bad", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad drill fixtures: %v", err)
	}
	cases := map[string]struct {
		args []string
		want string
	}{
		"no drill":     {[]string{"drill", "-i", inv, "--check"}, "gameday: drill needs exactly one DRILL file, got 0 arguments"},
		"no inventory": {[]string{"drill", "d.yaml", "--check"}, "gameday: -i inventory.yaml is required: it says which hosts and services the drill runs on"},
		"no terminal": {[]string{"drill", filepath.Join("..", "..", "examples", "drills", "redis-cache.yaml"), "-i", inv},
			"gameday: the TUI needs a terminal on standard input; for scripts use gameday probe, gameday inject or gameday run"},
		"does not fit": {[]string{"drill", filepath.Join(drillData, "tiny-check.yaml"), "-i", inv, "--check"},
			filepath.Join(drillData, "tiny-check.yaml") + `:4:10: probes[0]: this inventory has no probe "redis.latancy"; did you mean "redis.latency"? (its probes: redis.latency, sentinel.master)` + "\n" +
				filepath.Join(drillData, "tiny-check.yaml") + `:8:30: scenarios[0].candidates[0].hosts[0]: hosts "redis-7": no host named "redis-7" in the inventory; did you mean "redis-1"?`},
		"undeclared --var": {[]string{"drill", filepath.Join("..", "..", "examples", "drills", "redis-cache.yaml"), "-i", inv, "--check", "--var", "form=1s"},
			filepath.Join("..", "..", "examples", "drills", "redis-cache.yaml") + `: --var form: the drill declares no variable "form"; did you mean "from"? (its variables: from, to, lasts)`},
	}
	for _, f := range files {
		_, err := drills.Load(f)
		if err == nil {
			t.Fatalf("%s loads", f)
		}
		cases[filepath.Base(f)] = struct {
			args []string
			want string
		}{[]string{"drill", f, "-i", inv, "--check"}, err.Error()}
	}
	line := regexp.MustCompile(`^\S+\.yaml:\d+:\d+: \S.*$`)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("XDG_STATE_HOME", t.TempDir())
			io, _, out, errOut := testStreams()
			if code := run(tc.args, io); code != ExitBadInput {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, ExitBadInput, errOut)
			}
			got := strings.TrimSpace(errOut.String())
			if got != tc.want {
				t.Fatalf("stderr\n got %s\nwant %s", got, tc.want)
			}
			if strings.HasSuffix(name, ".yaml") && (strings.Count(got, "\n") != 0 || !line.MatchString(got)) {
				t.Errorf("a bad file is one line naming file:line:col, got %q", got)
			}
			if out.Len() != 0 {
				t.Errorf("stdout on bad input: %s", out)
			}
		})
	}
}
