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
	detectAt   time.Time // first breach after arming
	revertedAt time.Time // reverted or expired
	recoverAt  time.Time // first all-ok after revert
}

// TTD is the time to detect, or 0 when no breach was seen yet.
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

// detector derives time-to-detect and time-to-recover from events alone:
// detect is the first breach after a fault is armed, recover the first
// moment after its revert when every probe reads ok again.
type detector struct {
	status map[string]gp.Status // probe\x00target → last status
	faults []*faultTimes        // newest last, bounded
	byID   map[string]*faultTimes
}

// maxFaults bounds how many faults the detector remembers.
const maxFaults = 64

func newDetector() *detector {
	return &detector{status: map[string]gp.Status{}, byID: map[string]*faultTimes{}}
}

// faultID names the fault an event is about. inject puts the ledger ID in
// Data["id"] (or "fault_id"); older journals may have neither.
func faultID(e tl.Event) string {
	for _, k := range []string{"id", "fault_id", "fault"} {
		if s := e.String(k); s != "" {
			return s
		}
	}
	return e.Summary
}

// allOK tells whether every probe seen reads ok.
func (d *detector) allOK() bool {
	for _, s := range d.status {
		if s != gp.StatusOK {
			return false
		}
	}
	return true
}

// observe updates the detector with e and returns synthetic lines to add
// to the timeline ("detected …", "recovered …").
func (d *detector) observe(e tl.Event) []entry {
	var out []entry
	switch e.Kind {
	case tl.FaultArmed:
		id := faultID(e)
		if _, ok := d.byID[id]; ok {
			return nil
		}
		f := &faultTimes{id: id, kind: e.String("kind"), armedAt: e.Time}
		d.byID[id] = f
		d.faults = append(d.faults, f)
		if len(d.faults) > maxFaults {
			delete(d.byID, d.faults[0].id)
			d.faults = d.faults[1:]
		}
	case tl.FaultReverted, tl.FaultExpired:
		if f, ok := d.byID[faultID(e)]; ok && f.revertedAt.IsZero() {
			f.revertedAt = e.Time
			out = append(out, d.recover(e.Time)...)
		}
	case tl.ProbeBreach, tl.ProbeError:
		out = append(out, d.detect(e.Time)...)
	case tl.ProbeWindow:
		var r gp.Reading
		if e.Decode(&r) != nil || r.Probe == "" {
			return nil
		}
		d.status[r.Probe+"\x00"+r.Target] = r.Status
		switch r.Status {
		case gp.StatusBreach, gp.StatusError:
			out = append(out, d.detect(e.Time)...)
		case gp.StatusOK:
			out = append(out, d.recover(e.Time)...)
		}
	case tl.ProbeRecovered:
		out = append(out, d.recover(e.Time)...)
	}
	return out
}

func (d *detector) detect(at time.Time) []entry {
	var out []entry
	for _, f := range d.faults {
		if f.detectAt.IsZero() && !at.Before(f.armedAt) && f.recoverAt.IsZero() {
			f.detectAt = at
			out = append(out, entry{t: at, kind: "detected", text: f.kind + " " + f.id + ": first breach " + fmtDur(f.TTD()) + " after arming", synthetic: true})
		}
	}
	return out
}

func (d *detector) recover(at time.Time) []entry {
	if !d.allOK() {
		return nil
	}
	var out []entry
	for _, f := range d.faults {
		if !f.revertedAt.IsZero() && f.recoverAt.IsZero() && !f.detectAt.IsZero() {
			f.recoverAt = at
			out = append(out, entry{t: at, kind: "recovered", text: f.kind + " " + f.id + ": all probes ok " + fmtDur(f.TTR()) + " after revert", synthetic: true})
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
