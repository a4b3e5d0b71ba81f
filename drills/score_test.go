package drills

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// scoreInventory has the hosts of testdata/score.yaml.
func scoreInventory() *targets.Inventory {
	inv := &targets.Inventory{}
	for _, h := range []string{"redis-1", "redis-2", "redis-3", "kafka-1", "kafka-2"} {
		inv.Hosts = append(inv.Hosts, targets.Host{Name: h, Address: "127.0.0.1"})
	}
	return inv
}

// scriptedFaults arms and reverts instantly, stamping with the test's
// clock; it records what it was asked. The runner's use of a real fault
// manager is tested on the lab (TestRunnerOnLab).
type scriptedFaults struct {
	clock   Clock
	mu      sync.Mutex
	arms    []inject.Request
	reverts []string
}

func (f *scriptedFaults) Arm(_ context.Context, req inject.Request) (inject.Armed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arms = append(f.arms, req)
	return inject.Armed{ID: fmt.Sprintf("f%d", len(f.arms)), Request: req, State: inject.StateArmed, ArmedAt: f.clock.Now()}, nil
}

func (f *scriptedFaults) Revert(_ context.Context, id string) (inject.Armed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reverts = append(f.reverts, id)
	return inject.Armed{ID: id, State: inject.StateReverted}, nil
}

// TestScore: a drill with a fixed seed and scripted declarations — right,
// wrong, partly right, a false alarm, a confirmed and an unconfirmed
// mitigation, a trainee who never declares — gives this exact score
// table, computed from the journal read back from disk.
func TestScore(t *testing.T) {
	dr, err := Load(filepath.Join("testdata", "score.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plan := NewPlan(dr, 42)
	// Seed 42 picks pause on redis-2 at 2m29s, then partition on kafka-2
	// at 36s: the script below is written against that.
	if k := plan.Picks; k[0].Fault() != "pause on redis-2" || k[0].ArmAfter.D() != 2*time.Minute+29*time.Second ||
		k[1].Fault() != "partition on kafka-2" || k[1].ArmAfter.D() != 36*time.Second {
		t.Fatalf("seed 42 no longer gives the plan the script expects:\n%s", plan)
	}

	journal := filepath.Join(t.TempDir(), "drill.jsonl")
	j, err := timeline.OpenJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	rec := timeline.NewRecorder(timeline.WithSink(j), timeline.WithClock(clk.Now))
	live := rec.Subscribe(1 << 12)
	inv := scoreInventory()
	faults := &scriptedFaults{clock: clk}
	r := &Runner{Drill: dr, Plan: plan, Faults: faults, Recorder: rec, Hosts: runbooks.InventoryHosts{Inv: inv}, Inv: inv, Trainer: "tom", Clock: clk}

	for _, p := range []string{"alice", "bob", "carol"} {
		rec.Record(timeline.NewEvent(timeline.SessionJoin, "serve", "%s joined as trainee", p).With("person", p).With("role", "trainee"))
	}
	if err := r.Diagnose("alice", []string{"redis-1"}, "kill", ""); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("a diagnosis before the drill: %v, want ErrNotRunning", err)
	}
	done := make(chan Result, 1)
	go func() {
		res, err := r.Run(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wait := func() { <-clk.waiting } // the runner waits on the clock

	// Scenario 1: pause on redis-2, armed at 2m29s.
	wait()
	clk.Advance(2*time.Minute + 19*time.Second)
	must(r.Diagnose("bob", []string{"redis-1"}, "kill", "the master looks down")) // a false alarm: nothing is armed yet
	clk.Advance(10 * time.Second)
	wait() // armed; waiting for its end
	if _, armed := r.Scenario(); !armed {
		t.Fatal("scenario 1 is not armed at 2m29s")
	}
	clk.Advance(40 * time.Second)
	must(r.Diagnose("alice", []string{"redis-2"}, "kill", "redis-2 stopped answering")) // host only
	clk.Advance(10 * time.Second)
	must(r.Diagnose("bob", []string{"redis-3"}, "pause", "")) // kind only
	clk.Advance(20 * time.Second)
	must(r.Diagnose("alice", []string{"redis-2"}, "pause", "it is stopped, not dead")) // right: her final answer
	clk.Advance(20 * time.Second)
	must(r.Diagnose("bob", []string{"redis-1"}, "latency", "")) // wrong: his final answer
	clk.Advance(30 * time.Second)
	must(r.Mitigated("alice", "SIGCONT to redis-2"))
	if err := r.Confirm("tom", "bob"); err == nil || err.Error() != "bob has not declared a mitigation since the fault of scenario 1 (cache) was armed" {
		t.Fatalf("confirming bob, who declared nothing: %v", err)
	}
	clk.Advance(10 * time.Second)
	must(r.Confirm("tom", "alice"))

	// Scenario 2: partition on kafka-2, armed 36s after scenario 1 ended.
	wait()
	if err := r.Confirm("tom", "alice"); !errors.Is(err, ErrNotArmed) {
		t.Fatalf("confirming between arms: %v, want ErrNotArmed", err)
	}
	clk.Advance(36 * time.Second)
	wait()
	clk.Advance(20 * time.Second)
	must(r.Diagnose("bob", []string{"kafka-2"}, "partition", "broker 2 is unreachable")) // right
	clk.Advance(40 * time.Second)
	must(r.Mitigated("bob", "")) // never confirmed
	clk.Advance(30 * time.Second)
	must(r.Diagnose("alice", []string{"kafka-1"}, "partition", "")) // kind only
	clk.Advance(30 * time.Second)
	must(r.Diagnose("carol", []string{"kafka-2"}, "", "")) // host only, no kind named
	if err := r.Diagnose("carol", []string{"kafka-9"}, "", ""); err == nil || err.Error() != `no host named "kafka-9" in the inventory; did you mean "kafka-1"?` {
		t.Errorf("unknown host: %v", err)
	}
	if err := r.Diagnose("carol", nil, "partiton", ""); err == nil || err.Error()[:46] != `"partiton" is not a fault kind; did you mean "` {
		t.Errorf("unknown kind: %v", err)
	}
	clk.Advance(time.Minute) // 3m after arming: time up
	res := <-done
	if res.Reason != "finished" || res.Armed != 2 || res.RevertErr != nil {
		t.Errorf("result %+v", res)
	}
	rec.Close()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	if len(faults.arms) != 2 || faults.arms[0].Kind != "pause" || !reflect.DeepEqual(faults.arms[0].Hosts, []string{"redis-2"}) ||
		faults.arms[0].TTL != 7*time.Minute || faults.arms[1].TTL != 5*time.Minute || !reflect.DeepEqual(faults.reverts, []string{"f1", "f2"}) {
		t.Errorf("faults armed %+v, reverted %v", faults.arms, faults.reverts)
	}

	events, _, err := timeline.LoadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	// Declarations are attributed to their trainee, confirmations to the
	// trainer.
	for _, e := range events {
		switch e.Kind {
		case KindDiagnosis:
			if d := timeline.DataAs[DiagnosisData](e); d == nil || e.By != d.Person {
				t.Errorf("diagnosis by %q with data %+v", e.By, d)
			}
		case KindConfirmed:
			if e.By != "tom" {
				t.Errorf("confirmation by %q, want tom", e.By)
			}
		}
	}
	board := Score(events)
	const table = `SCENARIO  TRAINEE  DETECT  DIAGNOSIS  MITIGATE  WRONG
1 cache   alice    40s     right      2m10s     0
1 cache   bob      50s     wrong      —         2
1 cache   carol    —       —          —         0
2 broker  alice    1m30s   kind only  —         0
2 broker  bob      20s     right      —         0
2 broker  carol    2m0s    host only  —         0
`
	if got := board.Table(); got != table {
		t.Errorf("score table from the journal\n got:\n%s\nwant:\n%s", got, table)
	}
	const truths = `scenario 1 (cache): pause on redis-2 (fault f1), armed 2m29s after its start, ended after 2m10s: mitigated by alice
scenario 2 (broker): partition on kafka-2 (fault f2), armed 36s after its start, ended after 3m0s: time up
`
	if got := board.Truths(); got != truths {
		t.Errorf("truths\n got:\n%s\nwant:\n%s", got, truths)
	}
	if !board.Ended || board.Seed != 42 || board.Drill != "score" {
		t.Errorf("board %+v", board)
	}
	// The report's drill section is the same truths and table.
	var md strings.Builder
	if err := WriteReport(&md, events); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Drill score", "Seed 42; the drill ended.", truths, table} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report's drill section lacks %q:\n%s", want, md.String())
		}
	}

	// The JSON export's drill section is the same board: every figure of
	// the truths and the table, in seconds, null for "—".
	got, err := json.Marshal(board)
	if err != nil {
		t.Fatal(err)
	}
	const section = `{"drill":"score","seed":"42","ended":true,"scenarios":[
{"scenario":0,"name":"cache","label":"scenario 1 (cache)",
 "planned":{"scenario":0,"name":"cache","candidate":1,"of":3,"kind":"pause","hosts":["redis-2"],"arm_after_ms":149000,"lasts_ms":300000,"ttl_ms":420000},
 "began":true,"armed":{"fault_id":"f1","kind":"pause","hosts":["redis-2"],"at":"2026-11-25T09:02:29Z","after_s":149,"lasted_s":130},"ended":true,"reason":"mitigated by alice"},
{"scenario":1,"name":"broker","label":"scenario 2 (broker)",
 "planned":{"scenario":1,"name":"broker","candidate":1,"of":2,"kind":"partition","hosts":["kafka-2"],"arm_after_ms":36000,"lasts_ms":180000,"ttl_ms":300000},
 "began":true,"armed":{"fault_id":"f2","kind":"partition","hosts":["kafka-2"],"at":"2026-11-25T09:05:15Z","after_s":36,"lasted_s":180},"ended":true,"reason":"time up"}],
"scores":[
{"scenario":0,"trainee":"alice","detect_s":40,"diagnosis":"right","credit":1,"mitigate_s":130,"wrong":0},
{"scenario":0,"trainee":"bob","detect_s":50,"diagnosis":"wrong","credit":0,"mitigate_s":null,"wrong":2},
{"scenario":0,"trainee":"carol","detect_s":null,"diagnosis":null,"credit":0,"mitigate_s":null,"wrong":0},
{"scenario":1,"trainee":"alice","detect_s":90,"diagnosis":"kind only","credit":0.5,"mitigate_s":null,"wrong":0},
{"scenario":1,"trainee":"bob","detect_s":20,"diagnosis":"right","credit":1,"mitigate_s":null,"wrong":0},
{"scenario":1,"trainee":"carol","detect_s":120,"diagnosis":"host only","credit":0.5,"mitigate_s":null,"wrong":0}]}`
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(section)); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("the JSON drill section\n got: %s\nwant: %s", got, want.String())
	}

	// The live stream gives the same board as the journal.
	var seen []timeline.Event
	for e := range live.C() {
		seen = append(seen, e)
	}
	if got := Score(seen).Table(); got != table {
		t.Errorf("score table from the live events differs:\n%s", got)
	}
	// Mid-drill, the board counts what happened so far: cut the events
	// just after alice's confirmed mitigation.
	for i, e := range events {
		if e.Kind == KindConfirmed {
			mid := Score(events[:i+1])
			if len(mid.Rows) != 3 || !mid.Rows[0].Mitigated || mid.Ended {
				t.Errorf("mid-drill board %+v", mid)
			}
			// Its JSON lists the plan's second scenario, not begun yet.
			var sec struct {
				Ended     bool
				Scenarios []struct {
					Planned *Pick
					Began   bool
					Armed   *struct {
						FaultID string `json:"fault_id"`
					}
				}
			}
			b, err := json.Marshal(mid)
			if err != nil || json.Unmarshal(b, &sec) != nil || sec.Ended || len(sec.Scenarios) != 2 ||
				sec.Scenarios[0].Armed == nil || sec.Scenarios[0].Armed.FaultID != "f1" || sec.Scenarios[1].Began || sec.Scenarios[1].Armed != nil ||
				sec.Scenarios[1].Planned == nil || sec.Scenarios[1].Planned.Kind != "partition" {
				t.Errorf("mid-drill JSON section (%v): %s", err, b)
			}
			break
		}
	}
}

// TestForTrainee: a trainee's screen never gets the plan, a scenario's
// phases, a confirmation, another trainee's declarations or a fault event;
// it gets their own declarations, the start and the reveal.
func TestForTrainee(t *testing.T) {
	ev := func(k timeline.Kind, data any) timeline.Event {
		return timeline.NewEvent(k, "drill", "x").WithData(data)
	}
	cases := []struct {
		e    timeline.Event
		want bool
	}{
		{ev(KindStart, StartData{Drill: "d"}), true},
		{ev(KindPlan, Plan{Seed: 1}), false},
		{ev(KindScenario, ScenarioData{Phase: PhaseArmed, FaultID: "f1"}), false},
		{ev(KindScenario, ScenarioData{Phase: PhaseBegin}), false},
		{ev(KindDiagnosis, DiagnosisData{Person: "alice", Kind: "kill"}), true},
		{ev(KindDiagnosis, DiagnosisData{Person: "bob", Kind: "kill"}), false},
		{ev(KindMitigated, MitigatedData{Person: "alice"}), true},
		{ev(KindMitigated, MitigatedData{Person: "bob"}), false},
		{ev(KindConfirmed, ConfirmedData{Person: "alice", By: "tom"}), false},
		{ev(KindEnd, EndData{Drill: "d", Plan: Plan{Seed: 1}}), true},
		{ev(timeline.FaultArmed, timeline.FaultData{FaultID: "f1", Kind: "pause"}), false},
		{ev(timeline.FaultReverted, timeline.FaultData{FaultID: "f1"}), false},
		{timeline.NewEvent(timeline.ProbeBreach, "probe", "redis.latency breach"), true},
		{timeline.NewEvent(timeline.SentinelSwitch, "sentinel", "switch"), true},
		{timeline.NewEvent(timeline.Note, "alice", "looking at redis"), true},
	}
	for _, tc := range cases {
		if got := ForTrainee(tc.e, "alice"); got != tc.want {
			t.Errorf("ForTrainee(%s %v, alice) = %v, want %v", tc.e.Kind, tc.e.Data, got, tc.want)
		}
	}
}

// TestWriteReportWithoutDrill: a journal without a drill gets no drill
// section (TestScore checks the section of one with a drill).
func TestWriteReportWithoutDrill(t *testing.T) {
	var sb strings.Builder
	if err := WriteReport(&sb, []timeline.Event{timeline.NewEvent(timeline.Note, "tui", "no drill here")}); err != nil || sb.Len() != 0 {
		t.Fatalf("no drill: %q, %v", sb.String(), err)
	}
}
