package timeline

import (
	"time"

	gp "github.com/gameday-dev/gameday/probes"
	tl "github.com/gameday-dev/gameday/timeline"
)

// faultTimes is what the pane knows about one fault's effect.
type faultTimes struct {
	id, kind   string
	armedAt    time.Time
	detectAt   time.Time       // first alarm while armed
	revertedAt time.Time       // reverted or expired
	recoverAt  time.Time       // every breached probe ok again, after revert
	breached   map[string]bool // probes that alarmed while it was armed
}

// TTD is the time to detect, or 0 when no alarm was seen yet.
func (f *faultTimes) TTD() time.Duration {
	if f.detectAt.IsZero() {
		return 0
	}
	return f.detectAt.Sub(f.armedAt)
}

// TTR is the time to recover, or 0 when not recovered yet.
func (f *faultTimes) TTR() time.Duration {
	if f.recoverAt.IsZero() {
		return 0
	}
	return f.recoverAt.Sub(f.revertedAt)
}

// detector derives time-to-detect and time-to-recover live, from events
// alone, with the rules of the exported report (timeline.BuildReport):
// detect is the first probe.breach or probe.error while the fault is
// armed; recover is the first moment after its revert when every probe
// that alarmed meanwhile reads ok. The report replays the whole journal;
// the screen cannot afford that on every event, so it keeps this small
// running state instead.
type detector struct {
	status map[string]gp.Status // "probe target" → last status
	faults []*faultTimes        // newest last, bounded
	byID   map[string]*faultTimes
}

// maxFaults bounds how many faults the detector remembers.
const maxFaults = 64

func newDetector() *detector {
	return &detector{status: map[string]gp.Status{}, byID: map[string]*faultTimes{}}
}

// faultID names the fault an event is about: timeline.FaultData's
// fault_id, or an older "id".
func faultID(e tl.Event) string {
	for _, k := range []string{"fault_id", "id"} {
		if s := e.String(k); s != "" {
			return s
		}
	}
	return e.String("kind") + "@" + e.Host
}

// statusOf reads the probe and its status from a probe.* event.
func statusOf(e tl.Event) (probe string, st gp.Status, ok bool) {
	var r gp.Reading
	if e.Decode(&r) != nil || r.Probe == "" {
		return "", "", false
	}
	probe = r.Probe + " " + r.Target
	switch e.Kind {
	case tl.ProbeBreach:
		return probe, gp.StatusBreach, true
	case tl.ProbeError:
		return probe, gp.StatusError, true
	case tl.ProbeRecovered:
		return probe, gp.StatusOK, true
	case tl.ProbeWindow:
		if r.Status == gp.StatusOK || r.Status == gp.StatusBreach || r.Status == gp.StatusError {
			return probe, r.Status, true
		}
	}
	return "", "", false
}

// observe updates the detector with e and returns lines to add to the
// timeline ("detected …", "recovered …").
func (d *detector) observe(e tl.Event) []entry {
	switch e.Kind {
	case tl.FaultArmed:
		id := faultID(e)
		if _, ok := d.byID[id]; ok {
			return nil
		}
		f := &faultTimes{id: id, kind: e.String("kind"), armedAt: e.Time, breached: map[string]bool{}}
		d.byID[id] = f
		d.faults = append(d.faults, f)
		if len(d.faults) > maxFaults {
			delete(d.byID, d.faults[0].id)
			d.faults = d.faults[1:]
		}
	case tl.FaultReverted, tl.FaultExpired:
		if f, ok := d.byID[faultID(e)]; ok && f.revertedAt.IsZero() {
			f.revertedAt = e.Time
			return d.recover(e.Time)
		}
	}
	probe, st, ok := statusOf(e)
	if !ok {
		return nil
	}
	d.status[probe] = st
	var out []entry
	if e.Kind == tl.ProbeBreach || e.Kind == tl.ProbeError {
		for _, f := range d.faults {
			if e.Time.Before(f.armedAt) || !f.revertedAt.IsZero() {
				continue
			}
			f.breached[probe] = true
			if f.detectAt.IsZero() {
				f.detectAt = e.Time
				out = append(out, entry{t: e.Time, kind: "detected", text: f.kind + " " + f.id + ": " + probe + " alarmed " + fmtDur(f.TTD()) + " after arming", synthetic: true})
			}
		}
	}
	if st == gp.StatusOK {
		out = append(out, d.recover(e.Time)...)
	}
	return out
}

// recover marks reverted faults whose breached probes all read ok.
func (d *detector) recover(at time.Time) []entry {
	var out []entry
	for _, f := range d.faults {
		if f.revertedAt.IsZero() || !f.recoverAt.IsZero() || len(f.breached) == 0 {
			continue
		}
		ok := true
		for p := range f.breached {
			ok = ok && d.status[p] == gp.StatusOK
		}
		if ok {
			f.recoverAt = at
			out = append(out, entry{t: at, kind: "recovered", text: f.kind + " " + f.id + ": every alarmed probe ok " + fmtDur(f.TTR()) + " after revert", synthetic: true})
		}
	}
	return out
}

// last returns the newest fault with a known time-to-detect.
func (d *detector) last() *faultTimes {
	for i := len(d.faults) - 1; i >= 0; i-- {
		if !d.faults[i].detectAt.IsZero() {
			return d.faults[i]
		}
	}
	return nil
}
