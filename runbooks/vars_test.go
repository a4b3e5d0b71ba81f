package runbooks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/faultspec"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
)

func varFlags(t *testing.T, flags ...string) []yamldoc.Var {
	t.Helper()
	var out []yamldoc.Var
	for _, f := range flags {
		v, err := yamldoc.VarFlag(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestVars: host selectors, parameters, durations, thresholds and numbers
// take their values from the variables, defaults first, then a variables
// file, then --var.
func TestVars(t *testing.T) {
	path := filepath.Join("testdata", "vars", "vars.yaml")
	rb, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	check := func(rb *Runbook, host, delay, bound string, hold time.Duration) {
		t.Helper()
		in := rb.Steps[0].Inject
		if !reflect.DeepEqual(in.Hosts, []string{host}) || in.Params["delay"] != delay {
			t.Errorf("inject %+v, want hosts [%s] and delay %s", in, host, delay)
		}
		if rb.Name != "latency-on-"+host {
			t.Errorf("name %q", rb.Name)
		}
		if got := rb.Hypothesis[0].String(); got != "redis.latency p99 < "+bound {
			t.Errorf("hypothesis %q", got)
		}
		if got := rb.Steps[2].Expect.String(); got != "redis.latency p99 < "+bound {
			t.Errorf("expect %q", got)
		}
		if rb.Steps[1].Hold != hold {
			t.Errorf("hold %s, want %s", rb.Steps[1].Hold, hold)
		}
		if rb.Steps[0].Allow[0].Changes != 1 {
			t.Errorf("allow %+v: a quoted ${changes} should still be the number 1", rb.Steps[0].Allow[0])
		}
		if rb.Steps[3].Note != "the literal text ${target} is not a variable" {
			t.Errorf("note %q", rb.Steps[3].Note)
		}
	}
	check(rb, "redis-1", "200ms", "50ms", 5*time.Second)
	if want := []Var{
		{Name: "target", Value: "redis-1", From: "the default at line 4"}, {Name: "delay", Value: "200ms", From: "the default at line 5"},
		{Name: "bound", Value: "50ms", From: "the default at line 6"}, {Name: "hold", Value: "5s", From: "the default at line 7"}, {Name: "changes", Value: "1", From: "the default at line 8"},
	}; !reflect.DeepEqual(rb.Vars, want) {
		t.Errorf("vars\n got %+v\nwant %+v", rb.Vars, want)
	}

	file, err := yamldoc.ReadVars(filepath.Join("testdata", "vars", "overrides.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rb, err = Load(path, append(file, varFlags(t, "target=redis-3", "bound=80ms", "hold=1m")...)...)
	if err != nil {
		t.Fatal(err)
	}
	check(rb, "redis-3", "300ms", "80ms", time.Minute)
	if rb.Vars[1].From != filepath.Join("testdata", "vars", "overrides.yaml")+":2:8" || rb.Vars[0].From != "--var" {
		t.Errorf("vars %+v", rb.Vars)
	}
}

// TestVarsValidated: a value from a variable meets the checks a literal
// one does, with the same message, and says which variable made it and
// where it was set.
func TestVarsValidated(t *testing.T) {
	path := filepath.Join("testdata", "vars", "vars.yaml")
	cases := map[string]struct {
		flags []string
		want  string
	}{
		"duration without unit": {[]string{"hold=30"}, `:22:11: steps[1].hold: duration 30 needs a unit, such as 30ms or 30s (value of ${hold} from --var)`},
		"threshold without unit": {[]string{"bound=50"}, `:10:5: hypothesis[0]: threshold "p99 < 50": p99 is a latency; give a duration unit, e.g. p99 < 50ms (value of ${bound} from --var)` + "\n" +
			path + `:23:14: steps[2].expect.condition: threshold "p99 < 50": p99 is a latency; give a duration unit, e.g. p99 < 50ms (value of ${bound} from --var)`},
		"empty host":          {[]string{"target="}, `:17:11: steps[0].inject.hosts[0]: must not be empty (value of ${target} from --var)`},
		"negative count":      {[]string{"changes=-1"}, `:21:43: steps[0].allow[0].changes: -1 is negative (value of ${changes} from --var)`},
		"undeclared":          {[]string{"targte=redis-2"}, `: --var targte: the runbook declares no variable "targte"; did you mean "target"? (its variables: target, delay, bound, hold, changes)`},
		"not a number at all": {[]string{"changes=one"}, `:21:43: steps[0].allow[0].changes: want a whole number, got string "one" (value of ${changes} from --var)`},
	}
	if len(faultspec.KindNames()) > 0 {
		cases["bad parameter"] = struct {
			flags []string
			want  string
		}{[]string{"delay=soon"}, `:18:23: steps[0].inject.params: latency: param delay: "soon" is not a duration (use 500ms, 2s, 1m) (value of ${delay} from --var)`}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(path, varFlags(t, tc.flags...)...)
			if err == nil {
				t.Fatal("loads; want a problem")
			}
			if got, want := err.Error(), path+tc.want; got != want {
				t.Errorf("error\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestVarsChecked: the inventory check names the variable behind a host
// that is not there.
func TestVarsChecked(t *testing.T) {
	inv, err := targets.Load(filepath.Join("testdata", "tiny-inventory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "vars", "vars.yaml")
	rb, err := Load(path, varFlags(t, "target=redis-9")...)
	if err != nil {
		t.Fatal(err)
	}
	err = rb.Check(inv, nil)
	want := path + `:17:11: steps[0].inject.hosts[0]: no host named "redis-9" in the inventory; did you mean "redis-1"? (value of ${target} from --var)`
	if err == nil || err.Error() != want {
		t.Errorf("check\n got %v\nwant %s", err, want)
	}
	if rb, err = Load(path); err != nil || rb.Check(inv, nil) != nil {
		t.Errorf("the default target should fit: %v", err)
	}
}

func TestVarsRequired(t *testing.T) {
	path := filepath.Join("testdata", "vars", "required.yaml")
	_, err := Load(path, varFlags(t, "host=redis-1")...)
	if want := path + `:4:3: vars.pattern: no default and no value given; pass --var pattern=VALUE`; err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
}

// TestVarsNoShell: a variable's value reaches a fault as one literal
// parameter, and the fault kind quotes it in the script sent to the host:
// run under dash and bash, the shell text in it does nothing.
func TestVarsNoShell(t *testing.T) {
	if len(faultspec.KindNames()) == 0 {
		t.Skip("no fault kinds registered")
	}
	marker := filepath.Join(t.TempDir(), "x")
	hostile := "$(touch " + marker + "); `touch " + marker + "`; touch " + marker + "; "
	rb, err := Load(filepath.Join("testdata", "vars", "required.yaml"), varFlags(t, "host=app-1", "pattern="+hostile)...)
	if err != nil {
		t.Fatal(err)
	}
	in := rb.Steps[0].Inject
	if in.Params["pattern"] != hostile {
		t.Fatalf("pattern param %q, want the literal %q", in.Params["pattern"], hostile)
	}
	inv := &targets.Inventory{Hosts: []targets.Host{{Name: "app-1", Address: "10.0.0.1"}}}
	m, err := inject.NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pv, err := m.Preview(context.Background(), inject.Request{Kind: in.Kind, Hosts: in.Hosts, Params: in.Params, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Request.Params["pattern"] != hostile {
		t.Fatalf("preview params %v", pv.Request.Params)
	}
	var find string
	for _, step := range append(pv.Hosts[0].Detect, pv.Hosts[0].Inject...) {
		if strings.HasPrefix(step, "# find process") {
			find = step
		}
	}
	if find == "" {
		t.Fatalf("no find-process step in the plan: %q", pv.Hosts[0].Inject)
	}
	for _, sh := range []string{"dash", "bash"} {
		if _, err := exec.LookPath(sh); err != nil {
			t.Fatalf("%s: %v", sh, err)
		}
		out, _ := exec.Command(sh, "-c", find).CombinedOutput()
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%s ran the variable's shell text: %s exists\nscript:\n%s\noutput: %s", sh, marker, find, out)
		}
		// The script ran: it looked for the process by the literal pattern.
		if !strings.Contains(string(out), "no running process matches pattern "+strings.TrimSpace(hostile)) {
			t.Errorf("%s: the find step did not report the literal pattern; output: %s", sh, out)
		}
	}
}
