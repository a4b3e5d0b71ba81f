package probes

import (
	"sort"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds, from 1 µs to 10 minutes, with 3
// significant digits: 0.1 % resolution, well inside the 1 % the p99 needs.
const (
	histMin    = 1
	histMax    = int64(10 * time.Minute / time.Microsecond)
	histDigits = 3
)

// Window is a rolling window of samples: a ring of per-slot HDR histograms
// (one slot per second for the default 10 s window) merged when a summary is
// asked for, so that old samples fall out slot by slot instead of all at
// once. It is safe for concurrent use (hdrhistogram itself is not).
type Window struct {
	mu     sync.Mutex
	width  time.Duration // the whole window
	slot   time.Duration // one slot
	ring   []windowSlot
	merged *hdrhistogram.Histogram // reused by Stats: 170 KB a report otherwise
}

type windowSlot struct {
	start   int64 // slot index (time / slot width) this slot holds, -1 when empty
	hist    *hdrhistogram.Histogram
	count   int64
	errors  int64
	classes map[string]int64
}

// Stats summarise a Window: requests, failures by class and the latency
// percentiles of the successful ones, in milliseconds.
type Stats struct {
	Count   int64
	Errors  int64
	Classes map[string]int64
	P50     float64
	P90     float64
	P99     float64
	Max     float64
	// Samples is how many latencies the percentiles come from (including
	// values added by coordinated-omission correction).
	Samples int64
}

// NewWindow returns a Window covering width (default 10 s). Slots are one
// second wide, or a tenth of the window when the window is shorter than
// 10 s, so short windows (tests, --once) still roll smoothly.
func NewWindow(width time.Duration) *Window {
	if width <= 0 {
		width = DefaultWindow
	}
	slot := time.Second
	if width < 10*time.Second {
		slot = width / 10
	}
	if slot <= 0 {
		slot = time.Millisecond
	}
	n := int((width + slot - 1) / slot)
	w := &Window{width: width, slot: slot, ring: make([]windowSlot, n), merged: newHist()}
	for i := range w.ring {
		w.ring[i] = windowSlot{start: -1, hist: newHist()}
	}
	return w
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// Width is the window's length.
func (w *Window) Width() time.Duration { return w.width }

// slotFor returns the slot for time t, clearing it when it last held an
// older period. Called with w.mu held.
func (w *Window) slotFor(t time.Time) *windowSlot {
	idx := t.UnixNano() / int64(w.slot)
	s := &w.ring[int(idx%int64(len(w.ring)))]
	if s.start != idx {
		s.start = idx
		s.hist.Reset()
		s.count, s.errors = 0, 0
		s.classes = nil
	}
	return s
}

// Observe records one successful request that took d, completed at t.
// expected is the interval at which requests are sent (0 for none): a
// latency longer than it is back-filled with the samples a stalled closed
// loop would have missed (HdrHistogram's coordinated-omission correction).
func (w *Window) Observe(t time.Time, d, expected time.Duration) {
	v := int64(d / time.Microsecond)
	if v < histMin {
		v = histMin
	}
	if v > histMax {
		v = histMax
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.slotFor(t)
	s.count++
	if expected > 0 {
		_ = s.hist.RecordCorrectedValue(v, int64(expected/time.Microsecond))
	} else {
		_ = s.hist.RecordValue(v)
	}
}

// Fail records one failed request of the given class at t.
func (w *Window) Fail(t time.Time, class string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.slotFor(t)
	s.count++
	s.errors++
	if s.classes == nil {
		s.classes = map[string]int64{}
	}
	s.classes[class]++
}

// Stats merges the slots that fall inside the window ending at now.
func (w *Window) Stats(now time.Time) Stats {
	cur := now.UnixNano() / int64(w.slot)
	oldest := cur - int64(len(w.ring)) + 1
	var st Stats
	w.mu.Lock()
	defer w.mu.Unlock()
	merged := w.merged
	merged.Reset()
	for i := range w.ring {
		s := &w.ring[i]
		if s.start < oldest || s.start > cur {
			continue
		}
		st.Count += s.count
		st.Errors += s.errors
		for k, n := range s.classes {
			if st.Classes == nil {
				st.Classes = map[string]int64{}
			}
			st.Classes[k] += n
		}
		merged.Merge(s.hist)
	}
	st.Samples = merged.TotalCount()
	if st.Samples > 0 {
		q := merged.ValueAtPercentilesSlice([]float64{50, 90, 99})
		st.P50, st.P90, st.P99 = micros(q[0]), micros(q[1]), micros(q[2])
		st.Max = micros(merged.Max())
	}
	return st
}

func micros(v int64) float64 { return float64(v) / 1000 }

// SuccessPercent is the share of requests that succeeded, in percent
// (100 when there were none, so an idle window is not a failure).
func (s Stats) SuccessPercent() float64 {
	if s.Count == 0 {
		return 100
	}
	return 100 * float64(s.Count-s.Errors) / float64(s.Count)
}

// classNames returns the error classes sorted by count, most frequent first.
func classNames(c map[string]int64) []string {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if c[names[i]] != c[names[j]] {
			return c[names[i]] > c[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}
