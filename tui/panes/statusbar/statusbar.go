// Package statusbar is the bottom line: inventory, session journal, who is
// watching, probes whose thresholds broke before any fault, armed count,
// the last message, and the clock.
package statusbar

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
)

// Model is the status bar. It has no keys of its own: the root sets its
// fields and hands it the timeline events, from which it keeps who is
// attached to a shared session.
type Model struct {
	c         common.Common
	Inventory string
	Journal   string
	Armed     int
	Message   string // last outcome ("exported …", "error: …")
	// Me is the person at this screen on a shared session ("" locally).
	Me string
	// present maps each attached person to their role.
	present map[string]string
	// early follows the session's first minute for "baseline: N probes
	// unstable".
	early earlyBreaches
}

// New returns a status bar.
func New(c common.Common) *Model {
	return &Model{c: c, present: map[string]string{}, early: earlyBreaches{seen: map[string]bool{}}}
}

// SetCommon updates the shared state (size, clock, styles).
func (m *Model) SetCommon(c common.Common) { m.c = c }

// Observe follows joins, leaves and hand-overs; reset forgets who was there
// first (the events then say who is).
func (m *Model) Observe(events []timeline.Event, reset bool) {
	if reset {
		clear(m.present)
		m.early.reset()
	}
	for _, e := range events {
		m.early.observe(e)
		switch e.Kind {
		case timeline.SessionJoin, timeline.SessionRole:
			m.present[e.String("person")] = e.String("role")
		case timeline.SessionLeave:
			delete(m.present, e.String("person"))
		}
	}
}

// Present lists the people attached, "name (role)", facilitators first.
func (m *Model) Present() []string {
	names := make([]string, 0, len(m.present))
	for n := range m.present {
		names = append(names, n)
	}
	rank := func(r string) int {
		if r == "facilitator" || r == "trainer" {
			return 0
		}
		return 1
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if ra, rb := rank(m.present[a]), rank(m.present[b]); ra != rb {
			return ra < rb
		}
		return a < b
	})
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + " (" + m.present[n] + ")"
	}
	return out
}

// RoleOf returns the role of an attached person ("" if not attached).
func (m *Model) RoleOf(name string) string { return m.present[name] }

// View renders exactly one line of the screen's width. The clock shows
// minutes only, so it needs one redraw a minute, not one a second. On a
// shared session it says who this screen is and who else watches; when
// the line is short of room the journal path goes first, then the others'
// names, never the message.
func (m *Model) View() string {
	s := m.c.Styles
	w := m.c.Width
	left := fmt.Sprintf(" gameday · %s · journal %s", orNone(m.Inventory), orNone(m.Journal))
	clock := "15:04 MST"
	switch {
	case m.c.Mode == common.Replay:
		// The clock is the replay's cursor, to the second.
		left += " · REPLAY"
		clock = "15:04:05 MST"
	case m.c.ReadOnly:
		left += " · READ-ONLY"
	}
	who := ""
	if m.Me != "" {
		who = " · you: " + m.Me + " (" + orNone(m.present[m.Me]) + ")"
		var others []string
		for _, p := range m.Present() {
			if !strings.HasPrefix(p, m.Me+" (") {
				others = append(others, p)
			}
		}
		if len(others) > 0 {
			who += " · with " + strings.Join(others, ", ")
		}
	}
	right := fmt.Sprintf("armed %d · %s ", m.Armed, m.c.Now().Format(clock))
	mid := ""
	if n := len(m.early.seen); n > 0 {
		mid = fmt.Sprintf(" · baseline: %d %s unstable", n, plural(n, "probe", "probes"))
	}
	if m.Message != "" {
		mid += " · " + m.Message
	}
	room := w - ansi.StringWidth(right)
	l := left + who + mid
	if ansi.StringWidth(l) > room {
		// The message matters more than the journal path: cut the path,
		// then the list of others.
		keep := who + mid
		if ansi.StringWidth(keep) > room*2/3 {
			keep = ansi.Truncate(who, max(0, room*2/3-ansi.StringWidth(mid)), "…") + mid
		}
		l = ansi.Truncate(left, max(0, room-ansi.StringWidth(keep)-1), "…") + keep
		l = ansi.Truncate(l, max(0, room), "…")
	}
	line := l + strings.Repeat(" ", max(0, room-ansi.StringWidth(l))) + right
	return s.StatusBar.Render(common.Fit(line, w))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// earlyMinute is how long after its start a session's breaches say more
// about the thresholds than about the game day.
const earlyMinute = time.Minute

// earlyBreaches names the probes that breached in the first minute of the
// session, before any fault was armed: thresholds the machine breaks with
// nothing injected, which make every later breach ambiguous (the hint is
// to run gameday baseline). Errors are not counted: a probe that cannot
// measure says so in its own row, and its thresholds are not to blame.
type earlyBreaches struct {
	start   time.Time // the session's start (its first event without a session.start)
	faulted bool      // a fault was armed: later breaches are the game day's
	seen    map[string]bool
}

func (b *earlyBreaches) reset() {
	b.start, b.faulted = time.Time{}, false
	clear(b.seen)
}

func (b *earlyBreaches) observe(e timeline.Event) {
	switch {
	case e.Kind == timeline.SessionStart:
		b.start = e.Time
	case b.start.IsZero():
		b.start = e.Time
	}
	switch e.Kind {
	case timeline.FaultArming, timeline.FaultArmed:
		b.faulted = true
	case timeline.ProbeWindow, timeline.ProbeBreach:
		r := e.Reading()
		if b.faulted || r == nil || r.Status != timeline.StatusBreach || e.Time.Sub(b.start) >= earlyMinute {
			return
		}
		// A PromQL query's series are rows of one probe: their targets
		// are the query's plus the series' labels ("prom q {job=\"a\"}").
		target, _, _ := strings.Cut(r.Target, " {")
		b.seen[r.Probe+" "+target] = true
	}
}
