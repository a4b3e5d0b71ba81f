package timeline

import (
	"testing"
	"time"

	gp "github.com/gameday-dev/gameday/probes"
	tl "github.com/gameday-dev/gameday/timeline"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func fault(k tl.Kind, s int, id string) tl.Event {
	e := tl.NewEvent(k, "inject", "%s %s", k, id).WithData(tl.FaultData{FaultID: id, Kind: "kill"})
	e.Time = at(s)
	return e
}

func probe(k tl.Kind, s int, name string, st gp.Status) tl.Event {
	e := tl.NewEvent(k, "probes", "%s", name).WithData(gp.Reading{Probe: name, Target: "lab", Status: st})
	e.Time = at(s)
	return e
}

func TestDetector(t *testing.T) {
	tests := map[string]struct {
		events  []tl.Event
		ttd     time.Duration
		ttr     time.Duration
		noFault bool
	}{
		"breach then recover after revert": {
			events: []tl.Event{
				fault(tl.FaultArmed, 0, "f1"),
				probe(tl.ProbeBreach, 3, "redis.latency", gp.StatusBreach),
				fault(tl.FaultReverted, 10, "f1"),
				probe(tl.ProbeWindow, 11, "redis.latency", gp.StatusBreach),
				probe(tl.ProbeRecovered, 14, "redis.latency", gp.StatusOK),
			},
			ttd: 3 * time.Second, ttr: 4 * time.Second,
		},
		"recovered before revert: zero": {
			events: []tl.Event{
				fault(tl.FaultArmed, 0, "f1"),
				probe(tl.ProbeError, 2, "sentinel.master", gp.StatusError),
				probe(tl.ProbeRecovered, 5, "sentinel.master", gp.StatusOK),
				fault(tl.FaultReverted, 9, "f1"),
			},
			ttd: 2 * time.Second, ttr: 0,
		},
		"breach before arming is not detection": {
			events: []tl.Event{
				probe(tl.ProbeBreach, 0, "kafka.lag", gp.StatusBreach),
				fault(tl.FaultArmed, 1, "f1"),
			},
			noFault: true,
		},
		"an unrelated probe still bad does not block recovery": {
			events: []tl.Event{
				probe(tl.ProbeBreach, 0, "kafka.lag", gp.StatusBreach),
				fault(tl.FaultArmed, 1, "f1"),
				probe(tl.ProbeBreach, 2, "redis.latency", gp.StatusBreach),
				fault(tl.FaultExpired, 6, "f1"),
				probe(tl.ProbeWindow, 8, "redis.latency", gp.StatusOK),
			},
			ttd: time.Second, ttr: 2 * time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := newDetector()
			for _, e := range tc.events {
				d.observe(e)
			}
			f := d.last()
			if tc.noFault {
				if f != nil {
					t.Fatalf("detected %+v, want nothing", f)
				}
				return
			}
			if f == nil {
				t.Fatal("nothing detected")
			}
			if f.TTD() != tc.ttd || f.TTR() != tc.ttr {
				t.Fatalf("ttd %s ttr %s, want %s %s", f.TTD(), f.TTR(), tc.ttd, tc.ttr)
			}
		})
	}
}
