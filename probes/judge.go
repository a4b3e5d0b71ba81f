package probes

import (
	"fmt"
	"strings"

	"github.com/gameday-dev/gameday/timeline"
)

// judge turns a probe's Readings into verdicts against its thresholds and
// records each Reading, and every change of verdict, on the timeline.
type judge struct {
	thresholds []Threshold
	last       Status
	rec        *timeline.Recorder
}

// apply sets r.Status (unless the probe already found it cannot measure)
// and r.Threshold, records a probe.window event and, when the verdict
// changed, a probe.breach / probe.recovered / probe.error event.
func (j *judge) apply(r Reading) Reading {
	var crossed string // "p99 812ms breaches p99 < 50ms"
	if r.Status != StatusError {
		r.Status = StatusOK
		var held []string
		for _, t := range j.thresholds {
			ok, measured, has := t.Check(r)
			switch {
			case !has:
				continue
			case !ok && r.Status == StatusOK:
				r.Status = StatusBreach
				r.Threshold = t.Raw
				crossed = measured + " breaches " + t.Raw
			case ok:
				held = append(held, measured+" holds "+t.Raw)
			}
		}
		if r.Status == StatusOK {
			r.Threshold = thresholdTexts(j.thresholds)
			crossed = strings.Join(held, ", ")
		}
	}
	if j.rec == nil {
		j.last = r.Status
		return r
	}
	source := "probe:" + r.Probe
	j.rec.Record(timeline.Event{
		Time: r.Time, Kind: timeline.ProbeWindow, Source: source,
		Summary: fmt.Sprintf("%s %s %s: %s", r.Probe, r.Target, r.Status, r.Detail),
	}.WithData(r))
	if r.Status != j.last {
		var ev timeline.Event
		switch r.Status {
		case StatusBreach:
			ev = timeline.NewEvent(timeline.ProbeBreach, source, "%s %s %s", r.Probe, r.Target, crossed)
		case StatusError:
			ev = timeline.NewEvent(timeline.ProbeError, source, "%s %s cannot measure: %s", r.Probe, r.Target, r.Detail)
		case StatusOK:
			if j.last == StatusBreach || j.last == StatusError {
				ev = timeline.NewEvent(timeline.ProbeRecovered, source, "%s %s recovered: %s", r.Probe, r.Target, orDetail(crossed, r.Detail))
			}
		}
		if ev.Kind != "" {
			ev.Time = r.Time
			j.rec.Record(ev.WithData(r))
		}
	}
	j.last = r.Status
	return r
}

func orDetail(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func thresholdTexts(ts []Threshold) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.Raw
	}
	return strings.Join(s, ", ")
}
