package probes

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Losses a sweep finds land in the reading of that report interval, once,
// with the sweep's note; rounds count as acknowledged writes.
func TestLostWriteProbeCountsWhatTheSweepFinds(t *testing.T) {
	var sweeps atomic.Int64
	p := &lostWriteProbe{name: "x.integrity", target: "t", roundTimeout: time.Second, classify: classifyGeneric,
		cfg:   Config{Rate: 200, Timeout: time.Second, Window: time.Minute, Report: 10 * time.Millisecond},
		start: func(context.Context) error { return nil },
		round: func(context.Context, int64) (string, error) { return "", nil },
		sweep: func(context.Context) ([]string, string) {
			if sweeps.Add(1) == 3 {
				return []string{"acknowledged by a, missing on master b", "acknowledged by a, missing on master b"}, "read-back from b"
			}
			return nil, ""
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readings := make(chan Reading, 1000)
	go p.Run(ctx, func(r Reading) { readings <- r })
	for r := range readings {
		if r.Value == 0 {
			continue
		}
		if r.Value != 2 || r.Unit != "lost" || !strings.Contains(r.Detail, "acknowledged writes lost (acknowledged by a, missing on master b)") ||
			!strings.HasSuffix(r.Detail, "; read-back from b") || r.ErrorClasses["lost"] != 2 {
			t.Fatalf("reading %+v, want 2 lost with the culprit and the note", r)
		}
		return
	}
}
