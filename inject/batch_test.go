package inject

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
)

// shellRunner runs scripts with one shell, as sshx does: the script
// wrapped in a brace group whose stdin is /dev/null.
type shellRunner struct{ shell string }

func (r shellRunner) Run(ctx context.Context, h targets.Host, script string) (Result, error) {
	cmd := exec.CommandContext(ctx, r.shell, "-c", "{\n"+script+"\n} </dev/null")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.Exit, err = ee.ExitCode(), nil
	}
	return res, err
}

func (shellRunner) Close() error { return nil }

// A batch runs its steps in order, each as if alone — its own exit, set -e
// and variables, stdin /dev/null — and stops at the first failure, which
// it reports in the failed step's own words; under dash and bash alike.
func TestRunBatchReportsEachStep(t *testing.T) {
	for _, shell := range shells {
		t.Run(filepath.Base(shell), func(t *testing.T) {
			dir := t.TempDir()
			mark := func(n string) string { return "touch " + Quote(filepath.Join(dir, n)) }
			ran := func(n string) bool { _, err := os.Stat(filepath.Join(dir, n)); return err == nil }
			x := sshExecutor{runner: func() Runner { return shellRunner{shell} }}
			h := targets.Host{Name: "h1"}
			ctx := context.Background()

			ok := []Step{
				{Name: "no newline, then exit", Script: lines("printf 'out without newline'", "x=1", mark("s0"), "exit 0")},
				{Name: "stdin is empty, variables are its own", Script: lines(`[ -z "$x" ] || exit 7`, `[ -z "$(cat)" ] || exit 8`, mark("s1"))},
				{Name: "set -e stays inside", Script: lines("set -e", "true", mark("s2"))},
			}
			done, err := x.RunBatch(ctx, h, ok)
			if err != nil || done != len(ok) {
				t.Fatalf("RunBatch = %d, %v; want %d, nil", done, err, len(ok))
			}
			for _, n := range []string{"s0", "s1", "s2"} {
				if !ran(n) {
					t.Errorf("step %s did not run", n)
				}
			}

			failing := []Step{
				{Name: "first", Script: mark("f0")},
				{Name: "second", Script: lines("set -e", "echo 'stdout line'", "echo 'boom: the reason' >&2", "false", mark("never1"))},
				{Name: "third", Script: mark("never2")},
			}
			done, err = x.RunBatch(ctx, h, failing)
			if done != 1 || err == nil || err.Error() != "host h1: second: boom: the reason" {
				t.Fatalf("RunBatch = %d, %v; want 1 and the second step's stderr", done, err)
			}
			if !ran("f0") || ran("never1") || ran("never2") {
				t.Errorf("ran: first %v, second past set -e %v, third %v; want only the first", ran("f0"), ran("never1"), ran("never2"))
			}

			// Fail's sentence and stdout as the reason, as Run gives them.
			done, err = x.RunBatch(ctx, h, []Step{{Name: "detect", Script: "echo 'iptables is missing'; exit 3", Fail: "cannot arm: %s"}})
			if done != 0 || err == nil || err.Error() != "host h1: cannot arm: iptables is missing" {
				t.Fatalf("RunBatch = %d, %v; want the step's Fail sentence", done, err)
			}
		})
	}
}

// BatchSteps gives back the steps' scripts a batch carried, in order.
func TestBatchStepsSplitsABatch(t *testing.T) {
	steps := []Step{{Name: "a", Script: "echo a"}, {Name: "b", Script: "set -e\ncase x in *) ;; esac\n( echo b )"}}
	var sent []string
	r := runnerFunc(func(script string) Result { sent = append(sent, script); return Result{} })
	x := sshExecutor{runner: func() Runner { return r }}
	x.RunBatch(context.Background(), targets.Host{Name: "h"}, steps)
	if len(sent) != 1 {
		t.Fatalf("sent %d scripts, want one batch", len(sent))
	}
	if got := BatchSteps(sent[0]); !slices.Equal(got, []string{"echo a", steps[1].Script}) {
		t.Errorf("BatchSteps = %q", got)
	}
	if got := BatchSteps("echo plain"); !slices.Equal(got, []string{"echo plain"}) {
		t.Errorf("BatchSteps of a plain script = %q", got)
	}
	if strings.Count(sent[0], "gameday-step-") != 4 {
		t.Errorf("the batch does not mark each step on stdout and stderr:\n%s", sent[0])
	}
}

// runnerFunc answers every script with fn's result.
type runnerFunc func(script string) Result

func (f runnerFunc) Run(_ context.Context, _ targets.Host, script string) (Result, error) {
	return f(script), nil
}

func (runnerFunc) Close() error { return nil }
