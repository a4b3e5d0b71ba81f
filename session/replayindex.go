package session

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// CheckpointEvery is how many events apart a replay keeps a checkpoint of
// the analysis: a jump of the cursor clones the checkpoint before it and
// feeds at most this many events, never the session from its start.
const CheckpointEvery = 2048

// replayIndex is a recorded session laid out for a cursor: every event in
// recording order, and where to find what a screen is rebuilt from at any
// point of it without reading the session from its start.
type replayIndex struct {
	// events are the session's events in recording order (review notes
	// merged in at their time), Seq renumbered from 1 so that a journal
	// several Recorders appended to still orders one way.
	events []timeline.Event
	// reach[i] is the latest event time (Unix ns) of events[:i+1]: the
	// events a cursor at t has passed are the prefix whose reach is ≤ t,
	// even though probe windows are stamped a little out of order.
	reach []int64
	// windows holds the positions of each probe's windows (by probe and
	// target), others every other event's, presence the joins, leaves
	// and hand-overs, faults the fault events.
	windows  map[string][]int32
	others   []int32
	presence []int32
	faults   []int32
	// marks are the significant events, by time: what the scrub bar shows
	// and [ / ] jump between.
	marks []timeline.Row
	// checkpoints[k] is the analysis of events[:k*every] (nil: not
	// computed yet, or dropped when a review note was inserted before
	// it). checkpoints[0] is the empty analysis.
	checkpoints []*timeline.Analyzer
	every       int // CheckpointEvery; tests make it small
}

func newReplayIndex(events []timeline.Event) *replayIndex {
	x := &replayIndex{events: events, every: CheckpointEvery}
	x.reindex()
	return x
}

// reindex rebuilds every position list from events, in one pass; the
// checkpoints are kept (insert drops those a change invalidates).
func (x *replayIndex) reindex() {
	n := len(x.events)
	x.reindexReach()
	x.windows = map[string][]int32{}
	x.others, x.presence, x.faults, x.marks = x.others[:0], x.presence[:0], x.faults[:0], x.marks[:0]
	for i := range x.events {
		e := &x.events[i]
		e.Seq = uint64(i + 1)
		if e.Kind == timeline.ProbeWindow {
			k := windowKey(*e)
			x.windows[k] = append(x.windows[k], int32(i))
			continue
		}
		x.others = append(x.others, int32(i))
		switch {
		case e.Kind == timeline.SessionJoin || e.Kind == timeline.SessionLeave || e.Kind == timeline.SessionRole:
			x.presence = append(x.presence, int32(i))
		case strings.HasPrefix(string(e.Kind), "fault."):
			x.faults = append(x.faults, int32(i))
		}
		if significant(e.Kind) {
			x.marks = append(x.marks, timeline.Row{Seq: e.Seq, Time: e.Time, Kind: e.Kind, Source: e.Source,
				Host: e.Host, Summary: e.Summary, By: e.By})
		}
	}
	slices.SortStableFunc(x.marks, func(a, b timeline.Row) int { return a.Time.Compare(b.Time) })
	want := n/x.every + 1
	if len(x.checkpoints) < want {
		x.checkpoints = append(x.checkpoints, make([]*timeline.Analyzer, want-len(x.checkpoints))...)
	}
	x.checkpoints = x.checkpoints[:want]
	if x.checkpoints[0] == nil {
		x.checkpoints[0] = timeline.NewAnalyzer()
	}
}

// reindexReach computes reach alone.
func (x *replayIndex) reindexReach() {
	x.reach = slices.Grow(x.reach[:0], len(x.events))[:len(x.events)]
	var reach int64 = -1 << 63
	for i := range x.events {
		reach = max(reach, x.events[i].Time.UnixNano())
		x.reach[i] = reach
	}
}

// significant tells whether events of kind k are marked on the scrub bar
// and stopped at by [ and ]: faults, breaches and recoveries, Sentinel
// switches, notes.
func significant(k timeline.Kind) bool {
	switch k {
	case timeline.ProbeBreach, timeline.ProbeError, timeline.ProbeRecovered, timeline.SentinelSwitch, timeline.Note:
		return true
	}
	return strings.HasPrefix(string(k), "fault.")
}

func windowKey(e timeline.Event) string {
	if r := e.Reading(); r != nil {
		return r.Probe + "\x00" + r.Target
	}
	return ""
}

// span is the first and last time of the session.
func (x *replayIndex) span() (time.Time, time.Time) {
	if len(x.events) == 0 {
		return time.Time{}, time.Time{}
	}
	return x.events[0].Time, time.Unix(0, x.reach[len(x.reach)-1]).In(x.events[0].Time.Location())
}

// pos is how many events a cursor at t has passed: the longest prefix of
// the recording whose every event is at or before t.
func (x *replayIndex) pos(t time.Time) int {
	n := t.UnixNano()
	return sort.Search(len(x.reach), func(i int) bool { return x.reach[i] > n })
}

// settle is the earliest time at which the first p events have all
// happened: where a jump to the p-th event puts the cursor.
func (x *replayIndex) settle(p int) time.Time {
	if p == 0 {
		start, _ := x.span()
		return start
	}
	return time.Unix(0, x.reach[p-1]).In(x.events[0].Time.Location())
}

// before returns the positions of list that are below p, at most n of the
// latest.
func before(list []int32, p, n int) []int32 {
	end := sort.Search(len(list), func(i int) bool { return int(list[i]) >= p })
	return list[max(0, end-n):end]
}

// history is what a screen is rebuilt from at position p: the same kept
// history a live session would hold had it just recorded events[p-1].
func (x *replayIndex) history(p int) *history {
	h := newHistory()
	ring := func(list []int32, n int) *ring {
		r := newRing(n)
		for _, i := range before(list, p, n) {
			r.buf = append(r.buf, x.events[i])
		}
		return r
	}
	for k, list := range x.windows {
		if r := ring(list, WindowHistory); len(r.buf) > 0 {
			h.windows[k] = r
		}
	}
	h.events = ring(x.others, EventHistory)
	for _, i := range before(x.presence, p, len(x.presence)) {
		e := x.events[i]
		if e.Kind == timeline.SessionLeave {
			delete(h.present, personOf(e))
			continue
		}
		h.present[personOf(e)] = e
	}
	return h
}

// analysis returns the analysis of events[:p], the caller's to keep: the
// checkpoint below p, cloned, fed what follows it. Checkpoints it passes
// on the way are kept for the next jump.
func (x *replayIndex) analysis(p int) *timeline.Analyzer {
	k := p / x.every
	for x.checkpoints[k] == nil {
		k--
	}
	a := x.checkpoints[k].Clone()
	for i := k * x.every; i < p; i++ {
		a.Feed(x.events[i])
		if next := i + 1; next%x.every == 0 && x.checkpoints[next/x.every] == nil {
			x.checkpoints[next/x.every] = a.Clone()
		}
	}
	return a
}

// insert puts a review note into the recording at its time and returns
// its position; the checkpoints after it no longer hold and are dropped.
func (x *replayIndex) insert(e timeline.Event) int {
	q := x.pos(e.Time)
	x.events = slices.Insert(x.events, q, e)
	for k := range x.checkpoints {
		if k*x.every > q {
			x.checkpoints[k] = nil
		}
	}
	x.reindex()
	return q
}

// armed lists the faults in place after the first p events, as the ledger
// would have listed them then: arming or armed, not yet reverted, expired
// or failed, with the deadline of their TTL guard.
func (x *replayIndex) armed(p int) []inject.Armed {
	var out []inject.Armed
	var gone []bool
	at := map[string]int{}
	for _, i := range before(x.faults, p, len(x.faults)) {
		e := x.events[i]
		fd := e.Fault()
		if fd == nil {
			continue
		}
		id := fd.FaultID
		if id == "" {
			id = fd.Kind + "@" + strings.Join(fd.Hosts, ",")
		}
		j, seen := at[id]
		switch e.Kind {
		case timeline.FaultArming, timeline.FaultArmed:
			if !seen {
				j = len(out)
				at[id] = j
				start := e.Time
				if !fd.Injected.IsZero() {
					start = fd.Injected
				}
				a := inject.Armed{ID: fd.FaultID, State: inject.StateArming, ArmedAt: e.Time, Session: fd.Session,
					Request: inject.Request{Kind: fd.Kind, Hosts: fd.Hosts, Params: fd.Params, TTL: fd.TTL.Std()}}
				if fd.TTL > 0 {
					a.Deadline = start.Add(fd.TTL.Std())
				}
				out, gone = append(out, a), append(gone, false)
			}
			if e.Kind == timeline.FaultArmed {
				out[j].State, out[j].ArmedAt = inject.StateArmed, e.Time
			}
		default: // reverted, expired, failed: no longer in place
			if seen {
				gone[j] = true
			}
			delete(at, id)
		}
	}
	kept := out[:0]
	for j, a := range out {
		if !gone[j] {
			kept = append(kept, a)
		}
	}
	return kept
}

// personOf names who a join, leave or hand-over is about.
func personOf(e timeline.Event) string {
	if pd := timeline.DataAs[timeline.PersonData](e); pd != nil {
		return pd.Person
	}
	return e.String("person")
}

// marksCopy returns the significant events, by time.
func (x *replayIndex) marksCopy() []timeline.Row { return slices.Clone(x.marks) }
