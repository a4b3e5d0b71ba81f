package timeline_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/timeline"
)

// The report of the live events (Data as producers build it: []string hosts,
// map[string]string params, probes.Reading through WithData) must be the
// report of the same events reloaded from the journal.
func TestReportSameLiveAndReloaded(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "live.jsonl")
	j, err := timeline.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := timeline.NewRecorder(timeline.WithSink(j))
	sub := rec.Subscribe(1000)

	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	fault := func(k timeline.Kind, s float64) timeline.Event {
		e := timeline.NewEvent(k, "inject", "%s latency on redis-1", k).
			With("fault_id", "f-1").With("kind", "latency").With("hosts", []string{"redis-1"}).
			With("params", map[string]string{"delay": "500ms", "password": "hunter2", "pattern": ""}).With("ttl", "10m0s")
		e.Time = at(s)
		return e
	}
	window := func(s, p99 float64, st probes.Status) timeline.Event {
		r := probes.Reading{Time: at(s), Probe: "redis.latency", Target: "redis", Status: st, Value: p99,
			P99: p99, Unit: "ms", Window: probes.Duration(time.Second)}
		e := timeline.Event{Time: r.Time, Kind: timeline.ProbeWindow, Source: "probe:redis.latency", Summary: "w"}.WithData(r)
		return e
	}
	start := timeline.NewEvent(timeline.SessionStart, "tui", "session started").With("inventory", "lab")
	start.Time = t0
	evs := []timeline.Event{start, window(1, 1, probes.StatusOK), fault(timeline.FaultArmed, 2),
		window(3, 600, probes.StatusBreach)}
	breach := window(3, 600, probes.StatusBreach)
	breach.Kind = timeline.ProbeBreach
	evs = append(evs, breach, fault(timeline.FaultReverted, 5), window(6, 2, probes.StatusOK))
	rec2 := window(6, 2, probes.StatusOK)
	rec2.Kind = timeline.ProbeRecovered
	evs = append(evs, rec2)
	for _, e := range evs {
		rec.Record(e)
	}
	rec.Close()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	var live []timeline.Event
	for e := range sub.C() {
		live = append(live, e)
	}
	reloaded, warns, err := timeline.LoadJournal(path)
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}

	render := func(evs []timeline.Event) (string, *timeline.Report) {
		var b bytes.Buffer
		r := timeline.BuildReport(evs, timeline.ReportOptions{})
		if err := r.WriteMarkdown(&b); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		return b.String(), r
	}
	liveOut, r := render(live)
	reloadedOut, _ := render(reloaded)
	if liveOut != reloadedOut {
		t.Errorf("live and reloaded reports differ:\nlive:\n%s\nreloaded:\n%s", liveOut, reloadedOut)
	}
	f := r.Faults[0]
	if f.TimeToDetect == nil || *f.TimeToDetect != 1 || f.TimeToRecover == nil || *f.TimeToRecover != 1 ||
		len(f.Impact) != 1 || f.Impact[0].WorstP99 == nil || f.Impact[0].WorstP99.Value != 600 || len(f.Params) != 1 {
		t.Errorf("fault from live events = %+v", f)
	}
}
