package session

import (
	"cmp"
	"slices"

	"github.com/gameday-dev/gameday/timeline"
)

// What the session keeps in memory so that a screen that attaches late, or
// that fell behind and must catch up, is rebuilt as it would be had it
// seen every event: the same bounds the screen itself keeps.
const (
	// WindowHistory is how many probe windows the session keeps per probe:
	// ten minutes at one window a second, the span of a screen's
	// sparkline.
	WindowHistory = 600
	// EventHistory is how many other events it keeps: as many as a
	// screen's timeline pane holds.
	EventHistory = 10000
	// ScreenQueue is how many events wait for one screen before the
	// session gives up queueing for it and lets it resync from this
	// history instead: a screen that stops reading costs the session
	// nothing more than that.
	ScreenQueue = 4096
)

// ring keeps the last cap events.
type ring struct {
	buf   []timeline.Event
	start int
	cap   int
}

func newRing(n int) *ring { return &ring{cap: n} }

func (r *ring) add(e timeline.Event) {
	if len(r.buf) < r.cap {
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.start] = e
	r.start = (r.start + 1) % r.cap
}

func (r *ring) each(f func(timeline.Event)) {
	for i := range r.buf {
		f(r.buf[(r.start+i)%len(r.buf)])
	}
}

// history is the session's memory of recent events.
type history struct {
	windows map[string]*ring // probe windows, by probe and target
	events  *ring            // everything else
	// present holds, for each person attached, the event that says what
	// role they have now (their join, or the latest hand-over to them),
	// so that presence survives events scrolling out of the ring.
	present map[string]timeline.Event
	// start is the session's session.start, kept for the same reason:
	// it carries the service membership every figure is attributed by.
	start *timeline.Event
}

func newHistory() *history {
	return &history{windows: map[string]*ring{}, events: newRing(EventHistory), present: map[string]timeline.Event{}}
}

func (h *history) add(e timeline.Event) {
	switch e.Kind {
	case timeline.ProbeWindow:
		k := e.String("probe") + "\x00" + e.String("target")
		r := h.windows[k]
		if r == nil {
			r = newRing(WindowHistory)
			h.windows[k] = r
		}
		r.add(e)
		return
	case timeline.SessionStart:
		h.start = &e
	case timeline.SessionJoin, timeline.SessionRole:
		h.present[e.String("person")] = e
	case timeline.SessionLeave:
		delete(h.present, e.String("person"))
	}
	h.events.add(e)
}

// snapshot returns what the screen of p must be fed to show the session
// as it is now: the kept events it may see, in recording order.
func (h *history) snapshot(p Person) []timeline.Event {
	n := len(h.events.buf) + len(h.present) + 1
	for _, w := range h.windows {
		n += len(w.buf)
	}
	out := make([]timeline.Event, 0, n)
	keep := func(e timeline.Event) {
		if visible(p, e) {
			out = append(out, e)
		}
	}
	for _, w := range h.windows {
		w.each(keep)
	}
	h.events.each(keep)
	for _, e := range h.present {
		keep(e)
	}
	if h.start != nil {
		keep(*h.start)
	}
	slices.SortFunc(out, func(a, b timeline.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	// A presence event or the start still in the ring is in out twice.
	return slices.CompactFunc(out, func(a, b timeline.Event) bool { return a.Seq == b.Seq })
}
