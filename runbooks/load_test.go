package runbooks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/faultspec"
	"github.com/gameday-dev/gameday/targets"
)

func TestLoadBadFiles(t *testing.T) {
	cases := map[string]string{
		"abort-bad-for":         `4:5: abort[0]: "ever" after "for" is not a positive duration such as 20s`,
		"alias":                 `4:11: steps[0].note: alias *nothing refers to no anchor defined before it`,
		"allow-nothing":         `6:10: steps[0].allow[0]: say what is allowed: "for: 15s" (time in violation) and/or "changes: 1" (master changes)`,
		"allow-unknown-probe":   `6:17: steps[0].allow[0].probe: no hypothesis condition on "redis.latancy" to allow; did you mean "redis.latency"?`,
		"bad-metric":            `3:5: hypothesis[0]: threshold "p98.x < 50ms": unknown metric "p98.x" (known: p50, p90, p99, max, success, errors, lag, lost, agree, sentinels, rate, value, master)`,
		"bad-probe-name":        `3:5: hypothesis[0]: "latency" is not a probe name such as redis.latency`,
		"bad-threshold-unit":    `3:5: hypothesis[0]: threshold "p99 < 50": p99 is a latency; give a duration unit, e.g. p99 < 50ms`,
		"changed-in-hypothesis": `3:5: hypothesis[0]: "changed" can only be expected (in an expect step)`,
		"duplicate-inject-name": `5:20: steps[1].inject.name: another inject step is already named "slow"`,
		"duplicate-key":         `2:1: name: set twice (first at line 1)`,
		"empty":                 `1:1: the file is empty; a runbook needs name, hypothesis and steps`,
		"expect-no-within":      `4:14: steps[0].expect.within: missing; say how long to wait, such as 30s`,
		"hold-negative":         `4:11: steps[0].hold: duration -5s is negative`,
		"hold-no-unit":          `4:11: steps[0].hold: duration 30 needs a unit, such as 30ms or 30s`,
		"inject-field-typo":     `6:7: steps[0].inject.host: unknown field; did you mean "hosts"?`,
		"inject-no-hosts":       `5:7: steps[0].inject.hosts: missing; name at least one host, tag:TAG or role:ROLE`,
		"inject-no-kind":        `5:7: steps[0].inject.kind: missing; name the fault kind, such as latency`,
		"missing-name":          `1:1: name: missing; every runbook needs a name for its reports`,
		"no-action":             `4:5: steps[0]: a step needs one of "wait-steady", "inject", "hold", "revert", "expect", "note"`,
		"no-hypothesis":         `1:1: hypothesis: needs at least one steady-state condition, such as "redis.latency p99 < 50ms"`,
		"no-steps":              `3:8: steps: needs at least one step`,
		"not-a-mapping":         `1:1: the top level must be a mapping of name, description, vars, hypothesis, abort, steps, rollback; got a list`,
		"revert-before-inject":  `4:13: steps[0].revert: no inject step named "slow" before this one`,
		"revert-unknown":        `5:13: steps[1].revert: no inject step named "slwo" before this one; did you mean "slow"?`,
		"rollback-inject":       `5:14: rollback[0].inject: rollback steps cannot inject faults`,
		"status-in-hypothesis":  `3:5: hypothesis[0]: a hypothesis needs a threshold such as "p99 < 50ms", not the status "ok"`,
		"steady-timeout-short":  `4:38: steps[0].wait-steady.timeout: 10s is shorter than for (30s): the wait could never succeed`,
		"step-typo":             `4:5: steps[0].wait-stedy: unknown field; did you mean "wait-steady"?`,
		"syntax":                `3:11: invalid YAML: sequence end token ']' not found`,
		"two-actions":           `5:5: steps[0]: a step does one thing; it has both "hold" and "note"`,
		"two-docs":              `3:1: the file holds 2 YAML documents; a runbook is exactly one`,
		"unknown-top":           `2:1: hypotesis: unknown field; did you mean "hypothesis"?`,
		"unknown-variable":      `9:15: steps[0].inject.hosts[0]: unknown variable ${taget}; did you mean ${target}? (this runbook's variables: target)`,
	}
	if len(faultspec.KindNames()) > 0 {
		cases["bad-param"] = `7:23: steps[0].inject.params: latency: param delay: "soon" is not a duration (use 500ms, 2s, 1m)`
		cases["unknown-kind"] = `4:20: steps[0].inject.kind: unknown fault kind "latancy"; did you mean "latency"?`
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", name+".yaml")
			rb, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want error %q", path, rb, want)
			}
			if got := err.Error(); got != path+":"+want {
				t.Errorf("Load(%s) error\n got %s\nwant %s:%s", path, got, path, want)
			}
			var ps targets.Problems
			if !errors.As(err, &ps) {
				t.Errorf("error is %T, want targets.Problems", err)
			}
		})
	}
}

// Every bad fixture must have a case, so that a new fixture cannot go
// untested.
func TestLoadBadFilesAllCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad fixtures: %v", err)
	}
	for _, f := range files {
		if _, err := Load(f); err == nil {
			t.Errorf("%s loads without error; a bad fixture must be refused", f)
		}
	}
}

func TestLoadFull(t *testing.T) {
	rb, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if rb.Name != "full" || !strings.Contains(rb.Description, "every field") {
		t.Errorf("name/description = %q/%q", rb.Name, rb.Description)
	}
	var hyp []string
	for _, c := range rb.Hypothesis {
		hyp = append(hyp, c.String())
	}
	wantHyp := "redis.latency p99 < 50ms | sentinel.master master: stable | kafka.lag[lab-kafka/lab-group] lag <= 1000"
	if got := strings.Join(hyp, " | "); got != wantHyp {
		t.Errorf("hypothesis = %q, want %q", got, wantHyp)
	}
	if len(rb.Abort) != 2 || rb.Abort[0].For != 20*time.Second || rb.Abort[1].For != 10*time.Second ||
		rb.Abort[1].String() != "redis.latency success < 90% for 10s" {
		t.Errorf("abort = %+v", rb.Abort)
	}
	var actions []string
	for _, s := range rb.Steps {
		actions = append(actions, string(s.Action))
	}
	if got := strings.Join(actions, ","); got != "wait-steady,note,inject,hold,expect,revert,expect,wait-steady" {
		t.Errorf("actions = %s", got)
	}
	if w := rb.Steps[0].WaitSteady; w.For != 5*time.Second || w.Timeout != time.Minute {
		t.Errorf("wait-steady = %+v", w)
	}
	if w := rb.Steps[7].WaitSteady; w.For != 5*time.Second || w.Timeout != DefaultSteadyTimeout {
		t.Errorf("short wait-steady = %+v", w)
	}
	in := rb.Steps[2].Inject
	if in.Name != "slow-master" || in.Kind != "latency" || strings.Join(in.Hosts, ",") != "role:master" ||
		in.Params["delay"] != "200ms" || in.Params["jitter"] != "10ms" || in.TTL != 2*time.Minute {
		t.Errorf("inject = %+v", in)
	}
	allow := rb.Steps[2].Allow
	if len(allow) != 2 || allow[0].Probe != "redis.latency" || allow[0].For != 30*time.Second ||
		allow[1].Probe != "sentinel.master" || allow[1].Changes != 1 {
		t.Errorf("allow = %+v", allow)
	}
	if a := rb.Steps[3].Allow; len(a) != 1 || a[0].Probe != "kafka.lag" || a[0].For != 5*time.Second {
		t.Errorf("single allowance = %+v", a)
	}
	if e := rb.Steps[4].Expect; e.Expr.Kind != ExprStatus || e.Within != 20*time.Second {
		t.Errorf("expect breach = %+v", e)
	}
	if rb.Steps[5].Revert != "slow-master" {
		t.Errorf("revert = %q", rb.Steps[5].Revert)
	}
	if e := rb.Steps[6].Expect; e.Expr.Kind != ExprCompare || e.String() != "redis.latency p99 < 50ms" || e.Within != time.Minute {
		t.Errorf("expect p99 = %+v", e)
	}
	if len(rb.Rollback) != 2 || rb.Rollback[0].Revert != RevertAll || rb.Rollback[1].Note != "rolled back" {
		t.Errorf("rollback = %+v", rb.Rollback)
	}
	if p := rb.Steps[2].Pos; p.Line != 19 || p.Col != 5 {
		t.Errorf("inject step position = %+v, want 19:5", p)
	}
}

func TestLoadExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, filepath.Join("testdata", "minimal.yaml")) {
		if strings.Contains(filepath.Base(f), "inventory") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read runbook: ") {
		t.Errorf("err = %v, want a wrapped not-exist error", err)
	}
}

// FuzzLoad feeds arbitrary bytes to both formats of the one YAML loader,
// as a runbook and as an inventory: neither may panic, each gives a value
// or a non-empty Problems of "fuzz.yaml:…" lines, never both, and a
// runbook that loads can be checked against an inventory.
//
//	go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime 30s ./runbooks
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/bad/*.yaml", "../targets/testdata/valid/*.yaml", "../targets/testdata/broken/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil && len(b) < 4096 {
				f.Add(b) // small seeds: the fuzzer re-runs each thousands of times
			}
		}
	}
	inv, err := targets.Load(filepath.Join("testdata", "tiny-inventory.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := Parse("fuzz.yaml", data)
		checkProblems(t, rb != nil, err)
		if rb != nil {
			_ = rb.Check(inv, []ProbeKey{{Probe: "redis.latency", Target: "lab-redis"}})
		}
		got, err := targets.Parse("fuzz.yaml", data)
		checkProblems(t, got != nil, err)
	})
}

func checkProblems(t *testing.T, loaded bool, err error) {
	t.Helper()
	if loaded == (err != nil) {
		t.Fatalf("loaded %v with error %v: want exactly one", loaded, err)
	}
	if err == nil {
		return
	}
	var ps targets.Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		t.Fatalf("error %T is not a non-empty Problems: %v", err, err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "fuzz.yaml") {
			t.Fatalf("problem line %q does not start with the file name", line)
		}
	}
}
