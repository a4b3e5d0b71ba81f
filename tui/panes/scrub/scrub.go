// Package scrub is the replay's scrub bar: the whole recorded session on
// one line, with its faults, breaches, recoveries, Sentinel switches and
// notes marked where they happened, and the cursor the screen shows.
package scrub

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	tl "github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
)

// Height is the rows the bar takes, borders included.
const Height = 5

// Legend says what each mark on the bar stands for, strongest first: when
// several fall in one cell, the first of them in this order shows.
var Legend = []struct {
	Glyph, Means string
}{
	{"X", "fault failed"},
	{"F", "fault armed"},
	{"S", "Sentinel switch"},
	{"!", "breach or error"},
	{"f", "fault ended"},
	{"+", "recovered"},
	{"R", "review note"},
	{"N", "note"},
}

// Glyph is the mark of a significant event on the bar ("" for none).
func Glyph(r tl.Row) string {
	switch r.Kind {
	case tl.FaultFailed:
		return "X"
	case tl.FaultArming, tl.FaultArmed:
		return "F"
	case tl.FaultReverted, tl.FaultExpired:
		return "f"
	case tl.ProbeBreach, tl.ProbeError:
		return "!"
	case tl.ProbeRecovered:
		return "+"
	case tl.SentinelSwitch:
		return "S"
	case tl.Note:
		if r.IsReviewNote() {
			return "R"
		}
		return "N"
	}
	return ""
}

func rank(glyph string) int {
	for i, l := range Legend {
		if l.Glyph == glyph {
			return i
		}
	}
	return len(Legend)
}

// Model is the scrub bar.
type Model struct {
	c          common.Common
	start, end time.Time
	marks      []tl.Row
	playing    bool
	speed      int
	track      []string // one glyph per cell, for the width last drawn
	trackW     int
}

// New returns the bar of a session from start to end.
func New(c common.Common, start, end time.Time) *Model {
	return &Model{c: c, start: start, end: end, speed: 1}
}

// SetCommon updates the shared state (size, clock, styles).
func (m *Model) SetCommon(c common.Common) { m.c = c }

// SetSize implements common.Component.
func (m *Model) SetSize(w, h int) { m.c.Width, m.c.Height = w, h }

// SetMarks replaces the marked events (the session's significant events,
// by time).
func (m *Model) SetMarks(marks []tl.Row) {
	m.marks, m.track = marks, nil
}

// SetPlay says whether the replay plays, and at which speed.
func (m *Model) SetPlay(playing bool, speed int) { m.playing, m.speed = playing, speed }

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// Update implements tea.Model; the bar has no keys of its own (the root
// moves the cursor).
func (m *Model) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }

// col is the cell of t on a bar w cells wide.
func (m *Model) col(t time.Time, w int) int {
	span := m.end.Sub(m.start)
	if span <= 0 || w <= 1 {
		return 0
	}
	c := int(int64(t.Sub(m.start)) * int64(w-1) / int64(span))
	return max(0, min(w-1, c))
}

// cells lays the marks out on w cells, the strongest mark of each cell
// winning; it is kept until the marks or the width change.
func (m *Model) cells(w int) []string {
	if m.track != nil && m.trackW == w {
		return m.track
	}
	m.track, m.trackW = make([]string, w), w
	for _, r := range m.marks {
		g := Glyph(r)
		if g == "" {
			continue
		}
		c := m.col(r.Time, w)
		if cur := m.track[c]; cur == "" || rank(g) < rank(cur) {
			m.track[c] = g
		}
	}
	return m.track
}

// View implements tea.Model: the title with the cursor's time and the
// play state, the marked track (drawn heavy up to the cursor), the caret
// under the cursor between the session's first and last time, and the
// legend.
func (m *Model) View() string {
	s := m.c.Styles
	w := m.c.Width - 2
	if w < 10 {
		return ""
	}
	at := m.c.Now()
	cur := m.col(at, w)
	var track strings.Builder
	for i, g := range m.cells(w) {
		switch {
		case g != "":
			track.WriteString(m.style(g).Render(g))
		case i < cur:
			track.WriteString("━")
		case i == cur:
			track.WriteString("┿")
		default:
			track.WriteString("─")
		}
	}
	from, to := m.start.Format("15:04:05"), m.end.Format("15:04:05")
	caret := []byte(from + strings.Repeat(" ", max(0, w-len(from)-len(to))) + to)
	var under strings.Builder
	for i := range w {
		if i == cur {
			under.WriteString("▲")
			continue
		}
		if i < len(caret) {
			under.WriteByte(caret[i])
		}
	}
	var legend []string
	for _, l := range Legend {
		legend = append(legend, m.style(l.Glyph).Render(l.Glyph)+" "+l.Means)
	}
	state := "paused"
	if m.playing {
		state = "playing"
	}
	title := fmt.Sprintf("Replay  %s  +%s of %s · %s %d×", at.Format("15:04:05"), clock(at.Sub(m.start)), clock(m.end.Sub(m.start)), state, m.speed)
	body := []string{track.String(), under.String(), s.Dim.Render(ansi.Truncate(strings.Join(legend, "  "), w, "…"))}
	return s.Frame(title, body, m.c.Width, m.c.Height, false)
}

func (m *Model) style(glyph string) interface{ Render(...string) string } {
	s := m.c.Styles
	switch glyph {
	case "X", "!":
		return s.Breach
	case "F", "S":
		return s.Warning
	case "+":
		return s.OK
	}
	return s.Title
}

// clock renders a span as h:mm:ss.
func clock(d time.Duration) string {
	d = max(0, d).Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// ShortHelp implements help.KeyMap: the bar has no keys of its own.
func (m *Model) ShortHelp() []key.Binding { return nil }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return nil }
