package runbooks

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/timeline"
)

// worldRun runs testdata/run/FILE against a fresh world and returns the
// result, the world and every runbook and note event recorded.
func worldRun(t *testing.T, file string, ctx context.Context, tune func(*Runner, *world)) (Result, *world, []timeline.Event) {
	t.Helper()
	rb, err := Load(filepath.Join("testdata", "run", file))
	if err != nil {
		t.Fatal(err)
	}
	rec := timeline.NewRecorder()
	t.Cleanup(rec.Close)
	all := rec.Subscribe(1 << 16)
	w := newWorld()
	var lines []string
	var mu sync.Mutex
	inv := worldInventory()
	r := &Runner{
		Runbook:  rb,
		Faults:   w,
		Recorder: rec,
		Hosts:    InventoryHosts{Inv: inv, Roles: &roles.Resolver{Inv: inv, Ask: w.sentinels}},
		Progress: func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() },
	}
	if tune != nil {
		tune(r, w) // before the world starts reporting, which reads it
	}
	w.feed(t, rec, 20*time.Millisecond)
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all.Close()
	var evs []timeline.Event
	for e := range all.C() {
		if strings.HasPrefix(string(e.Kind), "runbook.") || e.Kind == timeline.Note {
			evs = append(evs, e)
		}
	}
	mu.Lock()
	t.Logf("progress:\n%s", strings.Join(lines, "\n"))
	mu.Unlock()
	return res, w, evs
}

func verdictOf(t *testing.T, evs []timeline.Event) timeline.VerdictData {
	t.Helper()
	var v timeline.VerdictData
	n := 0
	for _, e := range evs {
		if e.Kind == timeline.RunbookVerdict {
			n++
			if err := e.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d runbook.verdict events, want 1", n)
	}
	return v
}

func hasNote(evs []timeline.Event, text string) bool {
	return slices.ContainsFunc(evs, func(e timeline.Event) bool { return e.Kind == timeline.Note && e.Summary == text })
}

func TestRunnerVerdicts(t *testing.T) {
	cases := map[string]struct {
		file       string
		warmup     time.Duration
		verdict    string
		reason     string // substring
		conditions []timeline.ConditionResult
		armedKinds []string
	}{
		"latency breach inside its allowance holds": {
			file: "latency-held.yaml", verdict: timeline.VerdictHeld,
			conditions: []timeline.ConditionResult{{Condition: "redis.latency p99 < 50ms", Held: true, Worst: "p99 600ms"}},
			armedKinds: []string{"latency"},
		},
		"slow warm-up before the steady state is not judged": {
			file: "latency-held.yaml", warmup: 300 * time.Millisecond, verdict: timeline.VerdictHeld,
			conditions: []timeline.ConditionResult{{Condition: "redis.latency p99 < 50ms", Held: true, Worst: "p99 600ms"}},
			armedKinds: []string{"latency"},
		},
		"never steady deviates before any fault": {
			file: "latency-held.yaml", warmup: time.Minute, verdict: timeline.VerdictDeviated,
			reason:     "not steady within 5s: redis.latency lab-redis is breach",
			conditions: []timeline.ConditionResult{{Condition: "redis.latency p99 < 50ms", Held: false, Worst: "not judged"}},
		},
		"breach longer than its allowance deviates": {
			file: "latency-short-allowance.yaml", verdict: timeline.VerdictDeviated,
			reason:     "more than the 100ms allowed",
			conditions: []timeline.ConditionResult{{Condition: "redis.latency p99 < 50ms", Held: false, Worst: "p99 600ms"}},
			armedKinds: []string{"latency"},
		},
		"latency breach without allowance deviates": {
			file: "latency-no-allowance.yaml", verdict: timeline.VerdictDeviated,
			reason:     "redis.latency p99 < 50ms: violated for ",
			conditions: []timeline.ConditionResult{{Condition: "redis.latency p99 < 50ms", Held: false, Worst: "p99 600ms"}},
			armedKinds: []string{"latency"},
		},
		"impossible hypothesis deviates": {
			file: "impossible.yaml", verdict: timeline.VerdictDeviated,
			reason:     "outside any allowance",
			conditions: []timeline.ConditionResult{{Condition: "redis.latency p99 < 1us", Held: false, Worst: "p99 5.00ms"}},
		},
		"allowed failover holds": {
			file: "failover.yaml", verdict: timeline.VerdictHeld,
			conditions: []timeline.ConditionResult{
				{Condition: "sentinel.master master: stable", Held: true, Worst: "1 master change(s): 127.0.0.1:7001 → 127.0.0.1:7002"},
				{Condition: "redis.latency p99 < 50ms", Held: true, Worst: "p99 5.00ms"},
			},
			armedKinds: []string{"kill"},
		},
		"failover without allowance deviates": {
			file: "failover-no-allowance.yaml", verdict: timeline.VerdictDeviated,
			reason: "sentinel.master master: stable: master changed 1 time(s), 1 more than allowed",
			conditions: []timeline.ConditionResult{
				{Condition: "sentinel.master master: stable", Held: false, Worst: "1 master change(s): 127.0.0.1:7001 → 127.0.0.1:7002"},
				{Condition: "redis.latency p99 < 50ms", Held: true, Worst: "p99 5.00ms"},
			},
			armedKinds: []string{"kill"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res, w, evs := worldRun(t, tc.file, context.Background(), func(_ *Runner, w *world) {
				w.warmUntil = time.Now().Add(tc.warmup)
			})
			if res.Verdict != tc.verdict || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("verdict %s (%s), want %s (…%s…)", res.Verdict, res.Reason, tc.verdict, tc.reason)
			}
			if !slices.Equal(res.Conditions, tc.conditions) {
				t.Errorf("conditions\n got %+v\nwant %+v", res.Conditions, tc.conditions)
			}
			v := verdictOf(t, evs)
			if v.Verdict != tc.verdict || v.Runbook == "" || !slices.Equal(v.Conditions, tc.conditions) {
				t.Errorf("verdict event %+v does not match the result", v)
			}
			var kinds []string
			for _, a := range w.arms {
				kinds = append(kinds, a.Kind)
			}
			if !slices.Equal(kinds, tc.armedKinds) {
				t.Errorf("armed %v, want %v", kinds, tc.armedKinds)
			}
			if ids := w.activeIDs(); len(ids) != 0 {
				t.Errorf("faults still armed after the run: %v", ids)
			}
		})
	}
}

// The master is found from Sentinel's view, not the inventory's roles: a
// second kill targets the node promoted by the first.
func TestRunnerKillsCurrentMaster(t *testing.T) {
	_, w, _ := worldRun(t, "failover.yaml", context.Background(), func(r *Runner, _ *world) {
		r.Runbook.Steps = append(r.Runbook.Steps, r.Runbook.Steps[1:4]...)
		r.Runbook.Steps[5].Inject = &Inject{Name: "kill-again", Kind: "kill", Hosts: []string{"role:master"}}
		r.Runbook.Steps[7].Revert = "kill-again"
	})
	if len(w.arms) != 2 || w.arms[0].Hosts[0] != "redis-1" || w.arms[1].Hosts[0] != "redis-2" {
		t.Errorf("kills went to %+v, want redis-1 then redis-2", w.arms)
	}
}

func TestRunnerSteps(t *testing.T) {
	_, _, evs := worldRun(t, "latency-held.yaml", context.Background(), nil)
	var got []string
	for _, e := range evs {
		if e.Kind != timeline.RunbookStep || e.String("phase") != "end" {
			continue
		}
		got = append(got, e.String("action")+":"+e.String("result"))
	}
	want := []string{"wait-steady:ok", "inject:ok", "expect:ok", "hold:ok", "revert:ok", "expect:ok", "note:ok"}
	if !slices.Equal(got, want) {
		t.Errorf("step ends %v, want %v", got, want)
	}
	if !hasNote(evs, "rollback ran") {
		t.Error("the rollback note was not recorded")
	}
}

func TestRunnerAbortRevertsEverything(t *testing.T) {
	start := time.Now()
	res, w, evs := worldRun(t, "abort.yaml", context.Background(), nil)
	if res.Verdict != timeline.VerdictAborted || !strings.Contains(res.Reason, `abort condition "redis.latency p99 > 300ms for 100ms" met on lab-redis`) {
		t.Errorf("verdict %s (%s), want aborted by the latency condition", res.Verdict, res.Reason)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("the abort did not cut the one-minute hold short")
	}
	if ids := w.activeIDs(); len(ids) != 0 || len(res.Faults) != 1 {
		t.Errorf("active faults %v after abort (armed %v), want none", ids, res.Faults)
	}
	if !hasNote(evs, "rollback ran") {
		t.Error("the rollback did not run")
	}
}

func TestRunnerInterruptRollsBack(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, w, evs := worldRun(t, "interrupt.yaml", ctx, func(r *Runner, _ *world) {
		progress := r.Progress
		r.Progress = func(s string) {
			progress(s)
			if strings.HasPrefix(s, "step 2/2 hold") && strings.HasSuffix(s, "…") {
				cancel() // Ctrl-C during hold
			}
		}
	})
	if res.Verdict != timeline.VerdictAborted || res.Reason != "interrupted" {
		t.Errorf("verdict %s (%s), want aborted (interrupted)", res.Verdict, res.Reason)
	}
	if ids := w.activeIDs(); len(ids) != 0 {
		t.Errorf("active faults %v after interrupt, want none", ids)
	}
	if !hasNote(evs, "rollback ran") {
		t.Error("the rollback did not run after the interrupt")
	}
}

func TestRunnerOperatorDeclines(t *testing.T) {
	var asked []inject.Preview
	res, w, _ := worldRun(t, "latency-held.yaml", context.Background(), func(r *Runner, _ *world) {
		r.ConfirmInject = func(_ context.Context, p inject.Preview) (bool, error) {
			asked = append(asked, p)
			return false, nil
		}
	})
	if res.Verdict != timeline.VerdictAborted || !strings.Contains(res.Reason, "the operator declined latency on redis-1") {
		t.Errorf("verdict %s (%s), want aborted by the operator", res.Verdict, res.Reason)
	}
	if len(asked) != 1 || asked[0].Request.Hosts[0] != "redis-1" || asked[0].Request.Params["delay"] != "500ms" {
		t.Errorf("confirmation asked with %+v", asked)
	}
	if len(w.arms) != 0 {
		t.Errorf("armed %v after the operator declined", w.arms)
	}
}

// The plan the operator confirms is the plan armed: the fault carries the
// id of the preview shown (#11.2).
func TestRunnerArmsThePlanConfirmed(t *testing.T) {
	var asked []inject.Preview
	_, w, _ := worldRun(t, "latency-held.yaml", context.Background(), func(r *Runner, _ *world) {
		r.ConfirmInject = func(_ context.Context, p inject.Preview) (bool, error) {
			asked = append(asked, p)
			return true, nil
		}
	})
	if len(asked) != 1 || len(w.order) != 1 || w.order[0] != asked[0].ID {
		t.Errorf("confirmed %+v, armed %v", asked, w.order)
	}
}

func TestRunnerRollbackFailureIsReported(t *testing.T) {
	res, w, _ := worldRun(t, "interrupt.yaml", context.Background(), func(r *Runner, w *world) {
		r.Runbook.Steps[1].Hold = 50 * time.Millisecond
		r.RollbackTimeout = 2 * time.Second
		w.revertErr = errors.New("host unreachable")
	})
	if res.RollbackErr == nil || !strings.Contains(res.RollbackErr.Error(), "revert fault f1: host unreachable") {
		t.Errorf("RollbackErr = %v, want the failed revert", res.RollbackErr)
	}
	if !strings.Contains(res.Reason, "rollback: revert fault f1: host unreachable") {
		t.Errorf("reason %q does not mention the failed rollback", res.Reason)
	}
	if len(w.activeIDs()) != 1 {
		t.Errorf("the world should still have the fault it refused to revert")
	}
}
