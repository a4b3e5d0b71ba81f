package timeline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Every registered kind's typed Data survives a trip through the journal
// unchanged, and comes back as the registered pointer type.
func TestTypedDataRoundTrip(t *testing.T) {
	evs := []Event{
		SessionInfo{Source: "tui", Inventory: "lab", Title: "T", Services: []ServiceInfo{
			{Kind: "redis", Name: "cache", Hosts: []string{"redis-1", "redis-2"}, Probes: []string{"redis.latency cache"}, Sentinels: 3},
		}}.StartEvent(),
		NewEvent(FaultArmed, "inject", "armed").WithData(FaultData{FaultID: "f-1", Kind: "latency", Hosts: []string{"redis-1"},
			Params: Params{"delay": "500ms"}, TTL: Duration(5 * time.Minute), Session: "h/1/2", Injected: t0.Add(time.Second)}),
		NewEvent(ProbeWindow, "probe", "w").WithData(Reading{Time: t0, Probe: "redis.latency", Target: "cache", Status: StatusOK,
			Value: 1.5, P99: 1.5, Count: 10, ErrorClasses: map[string]int64{"timeout": 2}, Window: Duration(time.Second)}),
		NewEvent(SentinelSwitch, "probe", "s").WithData(&SwitchData{Service: "cache", MasterName: "m", Old: "a:1", New: "b:2", Sentinel: "c:3"}),
		NewEvent(SentinelEvent, "probe", "e").WithData(&SentinelEventData{Service: "cache", Event: "+sdown", Payload: "master m 1 2", Sentinel: "c:3"}),
		NewEvent(NodeDown, "probe", "n").WithData(&NodeData{Service: "c", Node: "1.2.3.4:9042", DC: "dc1"}),
		NewEvent(RunbookStep, "runbook", "s").WithData(&StepData{Runbook: "r", Step: 2, Action: "inject", Phase: "end", Result: "ok"}),
		NewEvent(RunbookVerdict, "runbook", "v").WithData(&VerdictData{Verdict: VerdictHeld, Conditions: []ConditionResult{{Condition: "c", Held: true}}}),
		NewEvent(SessionJoin, "serve", "ana joined as scribe").WithData(&PersonData{Person: "ana", Role: "scribe", From: "10.0.0.7"}),
		NewEvent(SessionEnd, "gameday", "bye").WithData(&SessionEndData{Reason: "quit"}),
	}
	for i := range evs {
		evs[i].Seq, evs[i].Time = uint64(i+1), t0.Add(time.Duration(i)*time.Second)
	}
	got := roundTrip(t, evs)
	for i, e := range got {
		want := evs[i]
		if reflect.TypeOf(e.Data) != reflect.TypeOf(want.Data) || reflect.TypeOf(e.Data).Kind() != reflect.Pointer {
			t.Errorf("%s: Data is %T, want %T", e.Kind, e.Data, want.Data)
			continue
		}
		if !reflect.DeepEqual(e.Data, want.Data) || len(e.UnknownData) != 0 {
			t.Errorf("%s: Data = %+v (unknown %v), want %+v", e.Kind, e.Data, e.UnknownData, want.Data)
		}
	}
	if sd := got[0].Session(); sd == nil || sd.Format != JournalFormat {
		t.Errorf("session.start = %+v, want format %d", got[0].Data, JournalFormat)
	}
}

// A journal line from a newer gameday — an unknown kind, an unknown data
// member of a known kind, an unknown top-level member — loads, keeps what
// it does not understand, and is written back with nothing lost.
func TestUnknownKindsAndFieldsAreKept(t *testing.T) {
	lines := []string{
		`{"seq":1,"time":"2026-11-25T08:30:00Z","kind":"session.start","source":"tui","summary":"s","data":{"format":3,"inventory":"lab","colour":"blue"}}`,
		`{"seq":2,"time":"2026-11-25T08:30:01Z","kind":"drill.declare","source":"trainee","summary":"d","data":{"host":"redis-1","confidence":0.8,"nested":{"a":[1,2]}}}`,
		`{"seq":3,"time":"2026-11-25T08:30:02Z","kind":"probe.window","source":"p","summary":"w","actor":"bob","data":{"probe":"redis.latency","target":"cache","status":"ok","value":1,"p999":9.5}}`,
		`{"seq":4,"time":"2026-11-25T08:30:03Z","kind":"session.start","source":"tui","summary":"s","data":{"format":4}}`,
	}
	path := filepath.Join(t.TempDir(), "newer.jsonl")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	evs, warns, err := LoadJournal(path)
	if err != nil || len(evs) != 4 {
		t.Fatalf("loaded %d events, err %v", len(evs), err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].String(), "newer gameday (journal format 3") {
		t.Errorf("warnings = %v, want one saying the journal is from a newer gameday", warns)
	}
	if sd := evs[0].Session(); sd == nil || sd.Inventory != "lab" || string(evs[0].UnknownData["colour"]) != `"blue"` {
		t.Errorf("session.start = %+v unknown %v", evs[0].Data, evs[0].UnknownData)
	}
	if evs[1].Data != nil || len(evs[1].UnknownData) != 3 {
		t.Errorf("unknown kind: Data %v, UnknownData %v, want all three members raw", evs[1].Data, evs[1].UnknownData)
	}
	if r := evs[2].Reading(); r == nil || r.Probe != "redis.latency" || string(evs[2].UnknownData["p999"]) != "9.5" ||
		string(evs[2].UnknownFields["actor"]) != `"bob"` {
		t.Errorf("probe.window: %+v unknown data %v fields %v", evs[2].Data, evs[2].UnknownData, evs[2].UnknownFields)
	}
	for i, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, b, []byte(lines[i])) {
			t.Errorf("line %d written back as\n%s\nwant (same members as)\n%s", i+1, b, lines[i])
		}
	}
}

// sameJSON compares two JSON documents by value, ignoring member order.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// Producers written before Data was typed (Event.With, maps, their own
// structs) still produce typed events, live and reloaded alike.
func TestLegacyProducersGetTypedData(t *testing.T) {
	rec := NewRecorder()
	sub := rec.Subscribe(10)
	rec.Record(NewEvent(FaultArmed, "inject", "a").With("fault_id", "f-1").With("kind", "kill").
		With("hosts", []string{"h1"}).With("params", map[string]string{"signal": "KILL"}).With("ttl", "10m0s"))
	rec.Record(Event{Kind: SentinelSwitch, Data: map[string]any{"service": "cache", "old": "a", "new": "b", "extra": 1}})
	rec.Record(NewEvent(ProbeWindow, "p", "w").With("probe", "redis.latency").With("p99", 12.5))
	rec.Close()
	var got []Event
	for e := range sub.C() {
		got = append(got, e)
	}
	f := got[0].Fault()
	if f == nil || f.FaultID != "f-1" || f.Kind != "kill" || f.Params["signal"] != "KILL" || f.TTL.Std() != 10*time.Minute || len(got[0].UnknownData) != 0 {
		t.Errorf("fault = %+v unknown %v", f, got[0].UnknownData)
	}
	if sw := got[1].Switch(); sw == nil || sw.New != "b" || string(got[1].UnknownData["extra"]) != "1" {
		t.Errorf("switch = %+v unknown %v", sw, got[1].UnknownData)
	}
	if r := got[2].Reading(); r == nil || r.P99 != 12.5 || got[2].String("probe") != "redis.latency" {
		t.Errorf("reading = %+v", r)
	}
	var r Reading
	if err := got[2].Decode(&r); err != nil || r.P99 != 12.5 {
		t.Errorf("Decode = %+v, %v", r, err)
	}
}

// Record redacts before anyone sees the event: a secret in a fault
// parameter, a note and an error message reaches neither a subscriber nor
// the journal nor a report, and the producer's own data is not modified.
func TestSecretsRedactedAtWriteTime(t *testing.T) {
	const secret = "Hunter2-s3cr3t"
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(WithSink(j))
	sub := rec.Subscribe(10)
	params := Params{"start": "redis-server --port 6379 --requirepass " + secret, "db_password": secret, "signal": "KILL"}
	rec.Record(NewEvent(FaultArmed, "inject", "kill armed").WithData(&FaultData{FaultID: "f-1", Kind: "process-kill", Hosts: []string{"h"}, Params: params}))
	note := NewEvent(Note, "tui", "the app uses password=%s, do not share", secret)
	note.By = "ana"
	rec.Record(note)
	rec.Record(NewEvent(FaultFailed, "inject", "revert failed").WithData(&FaultData{FaultID: "f-1",
		Error: "ssh: redis-cli -a " + secret + " SHUTDOWN: connection to redis://:" + secret + "@10.0.0.1:6379 refused"}))
	rec.Record(NewEvent(ProbeError, "probe", "redis.latency cannot measure: AUTH default %s failed", secret).WithData(&Reading{Probe: "redis.latency", Detail: "AUTH " + secret}))
	rec.Close()
	j.Close()
	var live bytes.Buffer
	for e := range sub.C() {
		b, _ := json.Marshal(e)
		live.Write(b)
	}
	if params["db_password"] != secret || !strings.Contains(params["start"], secret) {
		t.Error("Record modified the producer's params")
	}
	raw, _ := os.ReadFile(path)
	evs, _, _ := LoadJournal(path)
	var md, js bytes.Buffer
	WriteMarkdown(&md, evs, ReportOptions{})
	WriteJSON(&js, evs, ReportOptions{})
	for name, out := range map[string]string{"subscriber": live.String(), "journal": string(raw), "markdown": md.String(), "json": js.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("the %s holds the secret:\n%s", name, out)
		}
	}
	for _, keep := range []string{"--port 6379", "KILL", "do not share", "SHUTDOWN"} {
		if !strings.Contains(string(raw), keep) {
			t.Errorf("the journal lost %q, which is no secret:\n%s", keep, raw)
		}
	}
}
