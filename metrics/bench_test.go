package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// BenchmarkScrape is one GET /metrics of a busy war room: 10 people, 40
// probe rows with a latest window each, 5 faults armed and the latest
// MaxEndedFaults ended ones with their figures. It reports the bytes of
// the scrape and its series.
func BenchmarkScrape(b *testing.B) {
	s := liveSession(b)
	e, err := New(s)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	for i := range 10 {
		if _, err := s.Attach(session.Person{Name: fmt.Sprintf("person-%d", i), Role: session.Roles[i%3]}); err != nil {
			b.Fatal(err)
		}
	}
	rec := s.Recorder()
	for i := range 40 {
		for w := range 3 {
			r := &timeline.Reading{Probe: "redis.latency", Target: fmt.Sprintf("cache-%d", i), Status: timeline.StatusOK,
				Value: float64(w), Unit: "ms", P50: 1, P99: float64(w)}
			rec.Record(timeline.NewEvent(timeline.ProbeWindow, "probes", "window").WithData(r))
		}
	}
	for i := range MaxEndedFaults + 5 {
		fd := &timeline.FaultData{FaultID: fmt.Sprintf("f-%03d", i), Kind: "latency", Hosts: []string{"redis-1", "redis-2"},
			Params: timeline.Params{"delay": "50ms"}}
		rec.Record(timeline.NewEvent(timeline.FaultArmed, "inject", "armed").WithData(fd))
		if i < MaxEndedFaults {
			rec.Record(timeline.NewEvent(timeline.FaultReverted, "inject", "reverted").WithData(fd))
		}
	}
	rec.Record(timeline.NewEvent(timeline.Note, "tui", "ready"))
	for !recorded(e, timeline.Note) {
		time.Sleep(10 * time.Millisecond) // the exporter follows the events asynchronously
	}
	h := e.Handler()
	req := httptest.NewRequest(http.MethodGet, Path, nil)
	var size, series int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		size = w.Body.Len()
	}
	b.StopTimer()
	fs, _ := e.Registry().Gather()
	for _, f := range fs {
		series += len(f.Metric)
	}
	b.ReportMetric(float64(size), "bytes/scrape")
	b.ReportMetric(float64(series), "series")
}

// recorded tells whether the exporter has counted an event of kind.
func recorded(e *Exporter, kind timeline.Kind) bool {
	fs, _ := e.Registry().Gather()
	for _, f := range fs {
		if f.GetName() != "gameday_events_total" {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == string(kind) {
					return true
				}
			}
		}
	}
	return false
}
