package probes

import (
	"math"
	"testing"
	"time"
)

func TestWindowStats(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	tests := map[string]struct {
		width   time.Duration
		record  func(w *Window)
		at      time.Time
		count   int64
		errors  int64
		classes map[string]int64
		p99     float64 // ms, ±0.5 %
	}{
		"latencies and failures in one window": {
			width: 10 * time.Second,
			record: func(w *Window) {
				for i := 1; i <= 100; i++ {
					w.Observe(t0.Add(time.Duration(i)*50*time.Millisecond), time.Duration(i)*time.Millisecond, 0)
				}
				w.Fail(t0.Add(time.Second), "timeout")
				w.Fail(t0.Add(2*time.Second), "timeout")
				w.Fail(t0.Add(3*time.Second), "refused")
			},
			at: t0.Add(5 * time.Second), count: 103, errors: 3,
			classes: map[string]int64{"timeout": 2, "refused": 1}, p99: 99,
		},
		"old slots roll out": {
			width: 10 * time.Second,
			record: func(w *Window) {
				w.Observe(t0, 900*time.Millisecond, 0) // 12 s before "at": gone
				w.Fail(t0, "timeout")
				for i := 0; i < 10; i++ {
					w.Observe(t0.Add(12*time.Second), 5*time.Millisecond, 0)
				}
			},
			at: t0.Add(12 * time.Second), count: 10, p99: 5,
		},
		"coordinated omission back-fills a stall": {
			width: 10 * time.Second,
			record: func(w *Window) {
				for i := 0; i < 99; i++ {
					w.Observe(t0.Add(time.Duration(i)*100*time.Millisecond), time.Millisecond, 100*time.Millisecond)
				}
				// One 1 s answer at a 100 ms interval stands for ten
				// requests a closed loop never sent.
				w.Observe(t0.Add(9900*time.Millisecond), time.Second, 100*time.Millisecond)
			},
			at: t0.Add(9900 * time.Millisecond), count: 100, p99: 900,
		},
		"short window uses sub-second slots": {
			width: time.Second,
			record: func(w *Window) {
				w.Observe(t0, 500*time.Millisecond, 0)
				w.Observe(t0.Add(1500*time.Millisecond), 2*time.Millisecond, 0)
			},
			at: t0.Add(1500 * time.Millisecond), count: 1, p99: 2,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := NewWindow(tc.width)
			tc.record(w)
			st := w.Stats(tc.at)
			if st.Count != tc.count || st.Errors != tc.errors {
				t.Errorf("count/errors = %d/%d, want %d/%d", st.Count, st.Errors, tc.count, tc.errors)
			}
			for k, v := range tc.classes {
				if st.Classes[k] != v {
					t.Errorf("class %s = %d, want %d (all %v)", k, st.Classes[k], v, st.Classes)
				}
			}
			if math.Abs(st.P99-tc.p99) > tc.p99*0.005+0.01 {
				t.Errorf("p99 = %vms, want %vms", st.P99, tc.p99)
			}
		})
	}
}

func TestStatsSuccessPercent(t *testing.T) {
	tests := map[string]struct {
		st   Stats
		want float64
	}{
		"idle window is not a failure": {Stats{}, 100},
		"half failed":                  {Stats{Count: 10, Errors: 5}, 50},
		"all ok":                       {Stats{Count: 7}, 100},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.st.SuccessPercent(); got != tc.want {
				t.Errorf("SuccessPercent = %v, want %v", got, tc.want)
			}
		})
	}
}
