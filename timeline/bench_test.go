package timeline

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRecorderRecord measures Record with three live subscribers and an
// fsync'd journal behind it: "events/s" is what producers see (Record never
// waits for the disk), "synced-events/s" includes waiting for the journal to
// catch up at the end.
func BenchmarkRecorderRecord(b *testing.B) {
	j, err := OpenJournal(filepath.Join(b.TempDir(), "bench.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	r := NewRecorder(WithSink(j))
	done := make(chan struct{})
	for range 3 {
		s := r.Subscribe(1024)
		go func() {
			for range s.C() {
			}
			done <- struct{}{}
		}()
	}
	e := NewEvent(ProbeWindow, "probe:redis.latency", "redis.latency redis ok").
		WithData(map[string]any{"probe": "redis.latency", "target": "redis", "status": "ok", "p99": 1.5, "window": "1s"})
	b.ReportAllocs()
	b.ResetTimer()
	start, n := time.Now(), 0
	for b.Loop() {
		r.Record(e)
		n++
	}
	recorded := time.Since(start)
	r.Sync()
	synced := time.Since(start)
	b.StopTimer()
	r.Close()
	for range 3 {
		<-done
	}
	b.ReportMetric(float64(n)/recorded.Seconds(), "events/s")
	b.ReportMetric(float64(n)/synced.Seconds(), "synced-events/s")
}

// BenchmarkWriteMarkdown renders the report of a 10k-event session.
func BenchmarkWriteMarkdown(b *testing.B) {
	evs := manyEvents(10_000)
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, evs, ReportOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteMarkdown(io.Discard, evs, ReportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadJournal reloads a 10k-event journal from disk.
func BenchmarkLoadJournal(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range manyEvents(10_000) {
		if err := j.Append(e); err != nil {
			b.Fatal(err)
		}
	}
	j.Close()
	b.ReportAllocs()
	for b.Loop() {
		evs, _, err := LoadJournal(path)
		if err != nil || len(evs) < 10_000 {
			b.Fatalf("loaded %d events: %v", len(evs), err)
		}
	}
}

// BenchmarkRecorderSync is one durable record: Record then Sync, the price
// a producer pays before an action that must not precede its record.
func BenchmarkRecorderSync(b *testing.B) {
	j, err := OpenJournal(filepath.Join(b.TempDir(), "bench.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	r := NewRecorder(WithSink(j))
	defer r.Close()
	e := NewEvent(FaultArming, "inject", "arming latency on redis-1")
	for b.Loop() {
		r.Record(e)
		r.Sync()
	}
}
