package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/timeline"
)

// Runbook fixtures live with the runbooks package.
var runbookData = filepath.Join("..", "..", "runbooks", "testdata")

func TestRunFlags(t *testing.T) {
	io, _, _, _ := testStreams()
	var got *RunOptions
	cmd := NewCmdRun(io, func(o *RunOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"rb.yaml", "-i", "inv.yaml", "--report", "r.md", "--journal", "j.jsonl", "--var", "a=1,2", "--var-file", "v.yaml", "--var", "b="})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Runbook != "rb.yaml" || got.Inventory != "inv.yaml" || got.Report != "r.md" || got.Journal != "j.jsonl" ||
		!reflect.DeepEqual(got.Vars, VarOptions{Vars: []string{"a=1,2", "b="}, VarFiles: []string{"v.yaml"}}) {
		t.Fatalf("options = %+v", got)
	}
}

func TestRunBadInput(t *testing.T) {
	inv := filepath.Join(runbookData, "tiny-inventory.yaml")
	cases := map[string]struct {
		args []string
		want string // stderr
	}{
		"no runbook":      {args: []string{"run", "-i", inv}, want: "gameday: run needs exactly one RUNBOOK file, got 0 arguments"},
		"no inventory":    {args: []string{"run", "x.yaml"}, want: "gameday: -i inventory.yaml is required: it says which hosts and services the runbook runs on"},
		"broken runbook":  {args: []string{"run", filepath.Join(runbookData, "bad", "step-typo.yaml"), "-i", inv}, want: filepath.Join(runbookData, "bad", "step-typo.yaml") + `:4:5: steps[0].wait-stedy: unknown field; did you mean "wait-steady"?`},
		"unknown host":    {args: []string{"run", filepath.Join(runbookData, "unknown-host.yaml"), "-i", inv}, want: filepath.Join(runbookData, "unknown-host.yaml") + `:7:15: steps[0].inject.hosts[0]: no host named "redis-9" in the inventory; did you mean "redis-1"?`},
		"probe not there": {args: []string{"run", filepath.Join(runbookData, "lab", "impossible.yaml"), "-i", inv}, want: filepath.Join(runbookData, "lab", "impossible.yaml") + `:6:5: hypothesis[1]: this inventory has no probe "kafka.lag" (its probes: redis.latency, sentinel.master)`},
		"unknown variable": {args: []string{"run", filepath.Join(runbookData, "bad", "unknown-variable.yaml"), "-i", inv},
			want: filepath.Join(runbookData, "bad", "unknown-variable.yaml") + `:9:15: steps[0].inject.hosts[0]: unknown variable ${taget}; did you mean ${target}? (this runbook's variables: target)`},
		"undeclared --var": {args: []string{"run", filepath.Join(runbookData, "lab", "vars.yaml"), "-i", inv, "--var", "taget=redis-2"},
			want: filepath.Join(runbookData, "lab", "vars.yaml") + `: --var taget: the runbook declares no variable "taget"; did you mean "target"? (its variables: target, delay)`},
		"--var without =": {args: []string{"run", filepath.Join(runbookData, "lab", "vars.yaml"), "-i", inv, "--var", "target"}, want: "gameday: --var target: want NAME=VALUE"},
		"--var host not in the inventory": {args: []string{"run", filepath.Join(runbookData, "lab", "vars.yaml"), "-i", inv, "--var", "target=redis-7"},
			want: filepath.Join(runbookData, "lab", "vars.yaml") + `:14:15: steps[0].inject.hosts[0]: no host named "redis-7" in the inventory; did you mean "redis-1"? (value of ${target} from --var)`},
		"TUI --var without --runbook":   {args: []string{"-i", inv, "--var", "a=1"}, want: "gameday: --var and --var-file set runbook variables, so they need --runbook"},
		"serve --var without --runbook": {args: []string{"serve", "-i", inv, "--keys", "k", "--var-file", "v.yaml"}, want: "gameday: --var and --var-file set runbook variables, so they need --runbook"},
		"--var-file missing":            {args: []string{"run", filepath.Join(runbookData, "lab", "vars.yaml"), "-i", inv, "--var-file", "nowhere.yaml"}, want: "gameday: read variables file: open nowhere.yaml: no such file or directory"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("XDG_STATE_HOME", t.TempDir())
			io, _, out, errOut := testStreams()
			if code := run(tc.args, io); code != ExitBadInput {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitBadInput, out, errOut)
			}
			if got := strings.TrimSpace(errOut.String()); got != tc.want {
				t.Fatalf("stderr\n got %s\nwant %s", got, tc.want)
			}
			if out.Len() != 0 {
				t.Fatalf("nothing should run on bad input; stdout:\n%s", out)
			}
		})
	}
}

// TestRunOnLab runs the shipped examples and the lab fixtures with the
// built binary against a real lab, one after the other on the same lab
// (a failover moves the master; the next run must find it).
func TestRunOnLab(t *testing.T) {
	if testing.Short() {
		t.Skip("runs six runbooks against a real lab (several minutes); skipped with -short")
	}
	bin := buildGameday(t, t.TempDir())
	// The lab runs as its own `gameday lab up` process, as a user runs it:
	// under -race an in-process lab's Toxiproxy slows the Sentinels' votes
	// enough to miss the failover window.
	dir := userLab(t, bin)
	invPath := filepath.Join(dir, "inventory.yaml")
	inv, err := targets.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	examples := filepath.Join("..", "..", "examples")

	exits := map[string]struct {
		runbook string
		code    int
		verdict string
	}{
		"redis-failover example holds":           {filepath.Join(examples, "redis-failover.yaml"), ExitOK, "held"},
		"redis-latency example holds":            {filepath.Join(examples, "redis-latency.yaml"), ExitOK, "held"},
		"kafka-broker-unreachable example holds": {filepath.Join(examples, "kafka-broker-unreachable.yaml"), ExitOK, "held"},
		"impossible hypothesis deviates":         {filepath.Join(runbookData, "lab", "impossible.yaml"), ExitFailed, "deviated"},
		"abort condition reverts everything":     {filepath.Join(runbookData, "lab", "abort.yaml"), ExitAborted, "aborted"},
	}
	for _, name := range []string{
		"redis-failover example holds", "redis-latency example holds", "kafka-broker-unreachable example holds",
		"impossible hypothesis deviates", "abort condition reverts everything",
	} {
		tc := exits[name]
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			journal := filepath.Join(state, "run.jsonl")
			cmd := exec.Command(bin, "run", tc.runbook, "-i", invPath, "--journal", journal)
			cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			code := exitCode(t, err)
			t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
			if code != tc.code {
				logJournal(t, journal)
				t.Fatalf("exit %d, want %d", code, tc.code)
			}
			checkRunOutputs(t, journal, out.String(), tc.verdict)
			armed := checkNoFaultLeft(t, state, inv)
			if name == "abort condition reverts everything" {
				if armed == 0 {
					t.Fatal("the abort fixture armed nothing; the test proves nothing")
				}
				if !strings.Contains(out.String(), `abort condition "redis.latency success < 90% for 2s" met`) {
					t.Fatal("the run did not stop on its abort condition")
				}
			}
		})
	}

	// A runbook with vars: run twice with different --var values arms its
	// fault on a different host each time; the journal says which.
	t.Run("variables choose the target", func(t *testing.T) {
		for _, target := range []string{"redis-2", "redis-3"} {
			state := t.TempDir()
			journal := filepath.Join(state, "run.jsonl")
			cmd := exec.Command(bin, "run", filepath.Join(runbookData, "lab", "vars.yaml"), "-i", invPath, "--journal", journal, "--var", "target="+target)
			cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
			out, err := cmd.CombinedOutput()
			t.Logf("target %s:\n%s", target, out)
			if code := exitCode(t, err); code != ExitOK {
				logJournal(t, journal)
				t.Fatalf("exit %d, want %d", code, ExitOK)
			}
			if !strings.Contains(string(out), "vars: target="+target+", delay=1ms\n") {
				t.Errorf("the run does not print its variables")
			}
			events, _, err := timeline.LoadJournal(journal)
			if err != nil {
				t.Fatal(err)
			}
			var armed [][]string
			for _, e := range events {
				if e.Kind == timeline.FaultArmed {
					var fd timeline.FaultData
					if err := e.Decode(&fd); err != nil {
						t.Fatal(err)
					}
					armed = append(armed, fd.Hosts)
				}
			}
			if len(armed) != 1 || len(armed[0]) != 1 || armed[0][0] != target {
				t.Errorf("journal: fault.armed on %v, want once on [%s]", armed, target)
			}
			checkNoFaultLeft(t, state, inv)
		}
	})

	// The shipped lab drills fit the lab: live roles, its probes, and no
	// candidate that takes down a majority.
	t.Run("drill --check the lab drills", func(t *testing.T) {
		for _, name := range []string{"redis-cache", "kafka-broker"} {
			cmd := exec.Command(bin, "drill", filepath.Join(examples, "drills", name+".yaml"), "-i", invPath, "--check")
			out, err := cmd.CombinedOutput()
			if code := exitCode(t, err); code != ExitOK || !strings.HasPrefix(string(out), "drill "+name+" fits gameday lab: ") {
				t.Errorf("%s: exit %d\n%s", name, code, out)
			}
		}
	})

	t.Run("SIGINT during hold rolls back", func(t *testing.T) {
		state := t.TempDir()
		journal := filepath.Join(state, "run.jsonl")
		cmd := exec.Command(bin, "run", filepath.Join(runbookData, "lab", "interrupt.yaml"), "-i", invPath, "--journal", journal)
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		lines := make(chan string, 100)
		var all []string
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		waitLine := func(prefix string) {
			t.Helper()
			timeout := time.After(3 * time.Minute)
			for {
				select {
				case s, ok := <-lines:
					if !ok {
						t.Fatalf("gameday run ended before %q:\n%s\nstderr:\n%s", prefix, strings.Join(all, "\n"), errOut.String())
					}
					all = append(all, s)
					if strings.HasPrefix(s, prefix) && strings.HasSuffix(s, "…") {
						return
					}
				case <-timeout:
					t.Fatalf("no %q after 3 minutes:\n%s", prefix, strings.Join(all, "\n"))
				}
			}
		}
		waitLine("step 3/3 hold")
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		waitLine("rollback 1/2 hold")
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		for s := range lines {
			all = append(all, s)
		}
		code := exitCode(t, cmd.Wait())
		out := strings.Join(all, "\n")
		t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut.String())
		if code != ExitAborted {
			t.Fatalf("exit %d after SIGINT, want %d", code, ExitAborted)
		}
		if !strings.Contains(errOut.String(), "rollback in progress, please wait") {
			t.Error("the second SIGINT did not say the rollback goes on")
		}
		for _, want := range []string{"rollback 1/2 hold 3s: ok", "rollback 2/2 note: rollback finished: ok", "verdict: aborted (interrupted)"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q: the rollback was cut short", want)
			}
		}
		checkRunOutputs(t, journal, out, "aborted")
		if checkNoFaultLeft(t, state, inv) == 0 {
			t.Fatal("nothing was armed before the interrupt; the test proves nothing")
		}
	})
}

// logJournal logs every event but the probes' windows, to tell why a run
// went another way than expected.
func logJournal(t *testing.T, journal string) {
	t.Helper()
	events, _, err := timeline.LoadJournal(journal)
	if err != nil {
		t.Logf("journal: %v", err)
		return
	}
	var b strings.Builder
	for _, e := range events {
		if e.Kind != timeline.ProbeWindow {
			fmt.Fprintf(&b, "%s %s %s\n", e.Time.Format("15:04:05.000"), e.Kind, e.Summary)
		}
	}
	t.Logf("journal %s:\n%s", journal, b.String())
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("gameday run: %v", err)
	return -1
}

// checkRunOutputs checks the journal's verdict event and the report the
// run wrote beside it, and that stdout named both.
func checkRunOutputs(t *testing.T, journal, stdout, verdict string) {
	t.Helper()
	report := strings.TrimSuffix(journal, ".jsonl") + ".md"
	if !strings.Contains(stdout, "journal: "+journal) || !strings.Contains(stdout, "report: "+report) {
		t.Errorf("stdout does not name the journal and report paths")
	}
	events, _, err := timeline.LoadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	var got timeline.VerdictData
	for _, e := range events {
		if e.Kind == timeline.RunbookVerdict {
			if err := e.Decode(&got); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got.Verdict != verdict || len(got.Conditions) == 0 {
		t.Errorf("journal verdict %+v, want %s with conditions", got, verdict)
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| Verdict | **"+verdict) {
		t.Errorf("report %s does not show the verdict %s", report, verdict)
	}
	if fi, err := os.Stat(report); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
}

// checkNoFaultLeft asserts that the run's ledger has no active fault and
// that no gameday toxic is left on any lab proxy, and returns how many
// faults the run armed.
func checkNoFaultLeft(t *testing.T, state string, inv *targets.Inventory) int {
	t.Helper()
	m, err := inject.NewManager(nil, nil, filepath.Join(state, "gameday", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	all, err := m.List(false)
	if err != nil {
		t.Fatal(err)
	}
	active, err := m.List(true)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 0 {
		t.Errorf("faults still active after the run: %+v", active)
	}
	// The lab itself says what its network looks like now: no node cut,
	// refusing a peer or carrying a toxic.
	nodes, err := labapi.NewClient(inv.Lab.Control, inv.Lab.Dir).Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Cut || len(n.Blocked) > 0 || len(n.Toxics) > 0 {
			t.Errorf("lab node %s left with a fault: cut %v, blocked %v, toxics %v", n.Name, n.Cut, n.Blocked, n.Toxics)
		}
	}
	return len(all)
}
