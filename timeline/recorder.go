package timeline

import (
	"sync"
	"sync/atomic"
	"time"
)

// Sink durably stores events in order. The Journal is the Sink used in
// practice; Append is called from one goroutine only.
type Sink interface {
	Append(Event) error
}

// BatchSink is a Sink that can also store several events at once, durably
// and in order. The Recorder hands it everything queued since its last call,
// so that one fsync covers a burst instead of one per event.
type BatchSink interface {
	Sink
	AppendBatch([]Event) error
}

// maxBatch bounds one AppendBatch, so that a long backlog is written (and
// Sync waiters released) in steps rather than all at the end.
const maxBatch = 4096

// Recorder stamps events and fans them out. Record never blocks on a
// subscriber or on the disk: each subscriber has a bounded channel and drops
// (and counts) what it cannot take, while the sink is fed by its own goroutine
// from an unbounded queue so that no event is lost to a slow fsync.
type Recorder struct {
	mu     sync.Mutex
	seq    uint64
	subs   map[*Subscription]struct{}
	now    func() time.Time
	sink   Sink
	queue  []Event
	spare  []Event // the drained batch, reused as the next queue
	wake   chan struct{}
	synced *sync.Cond // signalled when the sink finishes an event or stops
	sinkOK uint64     // last Seq the sink finished
	closed bool
	// drained is set, under mu, once the sink goroutine has stopped: Sync
	// must not wait for it after that.
	drained bool
	done    chan struct{}
	errs    atomic.Pointer[error]
}

// RecorderOption configures a Recorder.
type RecorderOption func(*Recorder)

// WithSink makes the Recorder append every event to s (usually a *Journal).
func WithSink(s Sink) RecorderOption { return func(r *Recorder) { r.sink = s } }

// WithClock replaces time.Now, for tests and journal replay.
func WithClock(now func() time.Time) RecorderOption { return func(r *Recorder) { r.now = now } }

// NewRecorder returns a running Recorder. Close it to flush the sink.
func NewRecorder(opts ...RecorderOption) *Recorder {
	r := &Recorder{
		subs: map[*Subscription]struct{}{},
		now:  time.Now,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	r.synced = sync.NewCond(&r.mu)
	for _, o := range opts {
		o(r)
	}
	go r.drain()
	return r
}

// Record stamps e (Seq always, Time when zero), gives its Data the kind's
// registered type and redacts secrets from it (so that no subscriber, and
// no journal, ever sees one), hands it to the sink queue and offers it to
// every subscriber, and returns the stamped event. It never blocks for
// longer than a mutex hold. Events recorded after Close are dropped.
// e.Data is shared with subscribers and the sink, so the producer must not
// modify what it points to afterwards.
func (r *Recorder) Record(e Event) Event {
	e.normalize()
	e.redact()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return e
	}
	r.seq++
	e.Seq = r.seq
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	if r.sink != nil {
		r.queue = append(r.queue, e)
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	for s := range r.subs {
		s.offer(e)
	}
	r.mu.Unlock()
	return e
}

// Sync waits until every event recorded so far is in the sink (fsync'd, for
// a Journal). Use it before an action that must not precede its record.
func (r *Recorder) Sync() {
	r.mu.Lock()
	defer r.mu.Unlock()
	target := r.seq
	for r.sink != nil && r.sinkOK < target && !r.drained {
		r.synced.Wait()
	}
}

// Flush is Sync that also reports the sink's last error, for callers that
// must not go ahead when the record may not be on disk.
func (r *Recorder) Flush() error {
	r.Sync()
	return r.Err()
}

// Err returns the last error the sink reported, if any. The Recorder keeps
// going after a sink error so that the live view is not lost with the disk.
func (r *Recorder) Err() error {
	if p := r.errs.Load(); p != nil {
		return *p
	}
	return nil
}

func (r *Recorder) drain() {
	defer close(r.done)
	for {
		r.mu.Lock()
		batch := r.queue
		r.queue = r.spare[:0]
		r.spare = nil
		closed := r.closed
		if len(batch) == 0 && closed {
			r.drained = true
			r.synced.Broadcast()
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if len(batch) == 0 {
			<-r.wake
			continue
		}
		r.store(batch)
		clear(batch) // let the events' Data be collected
		r.mu.Lock()
		r.spare = batch
		r.mu.Unlock()
	}
}

// store hands batch to the sink, in groups when it is a BatchSink, and
// releases Sync waiters as each group is durable.
func (r *Recorder) store(batch []Event) {
	bs, isBatch := r.sink.(BatchSink)
	for len(batch) > 0 {
		n := 1
		var err error
		if isBatch {
			n = min(len(batch), maxBatch)
			err = bs.AppendBatch(batch[:n])
		} else {
			err = r.sink.Append(batch[0])
		}
		if err != nil {
			r.errs.Store(&err)
		}
		r.mu.Lock()
		r.sinkOK = batch[n-1].Seq
		r.synced.Broadcast()
		r.mu.Unlock()
		batch = batch[n:]
	}
}

// Subscribe returns a subscription whose channel receives every event
// recorded from now on, up to buf of them buffered; beyond that, events for
// this subscriber are dropped and counted.
func (r *Recorder) Subscribe(buf int) *Subscription {
	if buf < 1 {
		buf = 1
	}
	s := &Subscription{c: make(chan Event, buf), r: r}
	r.mu.Lock()
	if r.closed {
		close(s.c)
	} else {
		r.subs[s] = struct{}{}
	}
	r.mu.Unlock()
	return s
}

// Close stops fan-out, closes every subscription and waits for the sink to
// take every queued event. It does not close the sink itself.
func (r *Recorder) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return
	}
	r.closed = true
	for s := range r.subs {
		close(s.c)
		delete(r.subs, s)
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	<-r.done
}

// Subscription is one subscriber's view of a Recorder.
type Subscription struct {
	c       chan Event
	r       *Recorder
	dropped atomic.Uint64
}

// C is the channel of events; it is closed by Close or Recorder.Close.
func (s *Subscription) C() <-chan Event { return s.c }

// Dropped counts events this subscriber missed because its buffer was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close unsubscribes and closes the channel. It is safe to call twice.
func (s *Subscription) Close() {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if _, ok := s.r.subs[s]; ok {
		delete(s.r.subs, s)
		close(s.c)
	}
}

// offer is called with the Recorder's mutex held.
func (s *Subscription) offer(e Event) {
	select {
	case s.c <- e:
	default:
		s.dropped.Add(1)
	}
}
