package timeline

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// liveness bounds how long a test waits before declaring a deadlock. It is a
// hang detector, not a performance assertion: it is orders of magnitude above
// the expected time.
const liveness = 2 * time.Minute

// slowSink is a Sink that takes its time and remembers what it got.
type slowSink struct {
	mu    sync.Mutex
	delay time.Duration
	every int
	got   []Event
	err   error
	inner Sink
}

func (s *slowSink) Append(e Event) error {
	s.mu.Lock()
	s.got = append(s.got, e)
	n := len(s.got)
	s.mu.Unlock()
	if s.every > 0 && n%s.every == 0 {
		time.Sleep(s.delay)
	}
	if s.inner != nil {
		return s.inner.Append(e)
	}
	return s.err
}

func (s *slowSink) events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.got...)
}

// waitOrFail runs f and fails the test if it has not returned within liveness.
func waitOrFail(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(liveness):
		t.Fatalf("%s did not return within %v: blocked", what, liveness)
	}
}

func TestRecorderStalledSubscriberNeverBlocksProducers(t *testing.T) {
	const producers, perProducer, stalledBuf = 8, 10_000, 16
	const total = producers * perProducer
	sink := &slowSink{delay: time.Millisecond, every: 1000}
	r := NewRecorder(WithSink(sink))
	stalled := r.Subscribe(stalledBuf) // never read
	live := r.Subscribe(total)

	var liveGot []Event
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		for e := range live.C() {
			liveGot = append(liveGot, e)
		}
	}()

	produceAndClose(t, r, producers, perProducer)
	<-reading

	if got := stalled.Dropped(); got != total-stalledBuf {
		t.Errorf("stalled subscriber dropped %d, want %d", got, total-stalledBuf)
	}
	if live.Dropped() != 0 {
		t.Errorf("live subscriber dropped %d", live.Dropped())
	}
	assertAllInOrder(t, "live subscriber", liveGot, total)
	assertAllInOrder(t, "sink", sink.events(), total)
}

// assertAllInOrder checks that got holds Seq 1…n, in order.
func assertAllInOrder(t *testing.T, who string, got []Event, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%s got %d events, want %d", who, len(got), n)
	}
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Fatalf("%s: event %d has Seq %d, not in order", who, i, e.Seq)
		}
	}
}

// produceAndClose records producers × perProducer events from concurrent
// goroutines, then closes r; it fails the test if either blocks.
func produceAndClose(t *testing.T, r *Recorder, producers, perProducer int) {
	t.Helper()
	waitOrFail(t, "producers", func() {
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				for i := range perProducer {
					r.Record(NewEvent(ProbeWindow, "probe", "p%d #%d", p, i))
				}
			})
		}
		wg.Wait()
	})
	waitOrFail(t, "Close", r.Close)
}

// The journal behind a slow sink still receives every event, in order, and
// Sync returns only once they are all written.
func TestRecorderSyncWaitsForJournal(t *testing.T) {
	tests := map[string]func(j *Journal) Sink{
		"one event at a time": func(j *Journal) Sink {
			return &slowSink{delay: 20 * time.Millisecond, every: 10, inner: j}
		},
		"group commit": func(j *Journal) Sink {
			return slowBatchSink{delay: 50 * time.Millisecond, Journal: j}
		},
	}
	for name, sink := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j.jsonl")
			j, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			r := NewRecorder(WithSink(sink(j)))
			defer r.Close()
			const n = 50
			for i := range n {
				r.Record(NewEvent(Note, "operator", "note %d", i))
			}
			waitOrFail(t, "Sync", r.Sync)

			got, warns, err := LoadJournal(path)
			if err != nil || len(warns) > 0 {
				t.Fatal(err, warns)
			}
			assertAllInOrder(t, "journal after Sync", got, n)
		})
	}
}

// slowBatchSink is a Journal whose group commits take their time.
type slowBatchSink struct {
	delay time.Duration
	*Journal
}

func (s slowBatchSink) AppendBatch(evs []Event) error {
	time.Sleep(s.delay)
	return s.Journal.AppendBatch(evs)
}

// With the journal as its sink the Recorder commits bursts in groups; every
// event still lands once, in order, one per line.
func TestRecorderJournalGroupCommit(t *testing.T) {
	const producers, perProducer = 4, 5_000
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorder(WithSink(j))
	produceAndClose(t, r, producers, perProducer)
	if err := errors.Join(r.Err(), j.Close()); err != nil {
		t.Fatal(err)
	}
	got, warns, err := LoadJournal(path)
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	assertAllInOrder(t, "journal", got, producers*perProducer)
}

func TestRecorderFlushReportsSinkError(t *testing.T) {
	boom := errors.New("disk full")
	r := NewRecorder(WithSink(&slowSink{err: boom}))
	sub := r.Subscribe(4)
	r.Record(NewEvent(Note, "operator", "x"))
	if err := r.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush = %v, want %v", err, boom)
	}
	if e := <-sub.C(); e.Summary != "x" {
		t.Errorf("subscriber got %+v: the live view must survive a sink error", e)
	}
	r.Close()
}

func TestRecorderClose(t *testing.T) {
	sink := &slowSink{}
	r := NewRecorder(WithSink(sink), WithClock(func() time.Time { return t0 }))
	sub := r.Subscribe(4)
	e := r.Record(NewEvent(Note, "operator", "before"))
	if e.Seq != 1 || !e.Time.Equal(t0) {
		t.Errorf("stamped %+v, want Seq 1 at the clock's time", e)
	}
	r.Close()
	r.Close() // twice is fine
	r.Record(NewEvent(Note, "operator", "after"))
	waitOrFail(t, "Sync after Close", r.Sync)
	if got := sink.events(); len(got) != 1 || got[0].Summary != "before" {
		t.Errorf("sink got %+v, want only the event before Close", got)
	}
	if _, ok := <-sub.C(); !ok {
		t.Fatal("buffered event lost on Close")
	}
	if _, ok := <-sub.C(); ok {
		t.Error("subscription still open after Recorder.Close")
	}
	late := r.Subscribe(1)
	if _, ok := <-late.C(); ok {
		t.Error("subscribing after Close gave an open channel")
	}
	sub.Close()
	late.Close()
}

func TestSubscriptionClose(t *testing.T) {
	r := NewRecorder()
	defer r.Close()
	a, b := r.Subscribe(4), r.Subscribe(4)
	a.Close()
	a.Close()
	r.Record(NewEvent(Note, "operator", "x"))
	if _, ok := <-a.C(); ok {
		t.Error("closed subscription still receives")
	}
	if e := <-b.C(); e.Summary != "x" {
		t.Errorf("other subscriber got %+v", e)
	}
}
