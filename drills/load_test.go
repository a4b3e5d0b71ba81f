package drills

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
)

// TestLoadBadFiles: every bad drill file is refused with one line per
// problem naming file, line, column and field.
func TestLoadBadFiles(t *testing.T) {
	cases := map[string]string{
		"bad-param":        `8:25: scenarios[0].candidates[0].params: latency: param delay: "soon" is not a duration (use 500ms, 2s, 1m)`,
		"candidate-typo":   `7:9: scenarios[0].candidates[0].host: unknown field; did you mean "hosts"?`,
		"empty-probe":      `3:25: probes[1]: must not be empty`,
		"lasts-zero":       `5:12: scenarios[0].lasts: want a duration longer than 0, such as 5m`,
		"missing-name":     `1:1: name: missing; every drill needs a name for its screens and report`,
		"no-briefing":      `1:1: briefing: missing; tell the trainees what they are on call for`,
		"no-candidates":    `4:5: scenarios[0].candidates: needs at least one fault to pick from`,
		"no-hosts":         `6:9: scenarios[0].candidates[0].hosts: missing; name at least one host, tag:TAG or role:ROLE`,
		"no-scenarios":     `3:12: scenarios: needs at least one scenario: the faults to pick from and when to arm one`,
		"syntax":           `3:1: invalid YAML: ',' or ']' must be specified`,
		"ttl-short":        `6:10: scenarios[0].ttl: 3m0s is not longer than lasts (5m0s): the hosts' guards would revert the fault before the scenario ends`,
		"unknown-kind":     `6:16: scenarios[0].candidates[0].kind: unknown fault kind "kil"; did you mean "kill"?`,
		"unknown-top":      `3:1: scenario: unknown field; did you mean "scenarios"?`,
		"unknown-variable": `8:17: scenarios[0].candidates[0].hosts[0]: unknown variable ${traget}; did you mean ${target}? (this drill's variables: target)`,
		"window-backwards": `4:28: scenarios[0].window.to: 1m0s is before from (4m0s)`,
		"window-missing":   `4:5: scenarios[0].window: missing; say when to arm the fault, such as {from: 1m, to: 4m} after the scenario starts`,
		"window-no-to":     `4:14: scenarios[0].window.to: missing; the latest moment to arm the fault, such as 4m`,
		"window-no-unit":   `4:20: scenarios[0].window.from: duration 1 needs a unit, such as 1ms or 1s`,
		"window-typo":      `4:14: scenarios[0].window.form: unknown field; did you mean "from"?`,
	}
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(files) != len(cases) {
		t.Fatalf("%d bad fixtures for %d cases (%v): every fixture needs a case", len(files), len(cases), err)
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", name+".yaml")
			dr, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", path, dr)
			}
			if got := err.Error(); got != path+":"+want {
				t.Errorf("Load(%s)\n got %s\nwant %s:%s", path, got, path, want)
			}
			var ps targets.Problems
			if !errors.As(err, &ps) {
				t.Errorf("error is %T, want targets.Problems", err)
			}
		})
	}
}

// TestLoadExamples: the shipped drills load, and their variables shorten
// them for a first try.
func TestLoadExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "drills", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	var vars []yamldoc.Var
	for _, s := range []string{"from=10s", "to=30s", "lasts=2m"} {
		v, err := yamldoc.VarFlag(s)
		if err != nil {
			t.Fatal(err)
		}
		vars = append(vars, v)
	}
	dr, err := Load(filepath.Join("..", "examples", "drills", "redis-cache.yaml"), vars...)
	if err != nil {
		t.Fatal(err)
	}
	s := dr.Scenarios[0]
	if s.Window != (Window{10 * time.Second, 30 * time.Second}) || s.Lasts != 2*time.Minute || s.TTL != 2*time.Minute+TTLMargin {
		t.Errorf("scenario %+v", s)
	}
	if got := []string{s.Candidates[0].Kind, s.Candidates[1].Kind, s.Candidates[2].Kind}; !reflect.DeepEqual(got, []string{"kill", "pause", "latency"}) {
		t.Errorf("candidates %v", got)
	}
	if !strings.Contains(dr.Briefing, "session cache") || !reflect.DeepEqual(dr.Probes, []string{"redis.latency", "sentinel.master"}) {
		t.Errorf("drill %+v", dr)
	}
}
