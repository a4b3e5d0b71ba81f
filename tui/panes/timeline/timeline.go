// Package timeline is the Timeline pane: live events, newest at the
// bottom, scrollable, with each fault's time-to-detect and time-to-recover
// once the events show them.
package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	tl "github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
)

// Capacity bounds the lines the pane keeps; older ones scroll out of memory
// (the journal on disk keeps everything).
const Capacity = 10000

// entry is one line of the pane, kept small: no event Data.
type entry struct {
	t         time.Time
	kind      string
	host      string
	text      string
	synthetic bool // computed here (detected/recovered), not an event
}

// Model is the Timeline pane.
type Model struct {
	c       common.Common
	ring    []entry
	start   int // index of the oldest entry in ring
	n       int
	back    int // lines scrolled back from the newest; 0 follows
	focused bool
	det     *detector
	total   uint64
}

// New returns an empty pane.
func New(c common.Common) *Model {
	return &Model{c: c, det: newDetector()}
}

// SetCommon updates the shared state (size, clock, styles).
func (m *Model) SetCommon(c common.Common) { m.c = c }

// SetSize implements common.Component.
func (m *Model) SetSize(w, h int) { m.c.Width, m.c.Height = w, h }

// Focus marks the pane as the one receiving keys.
func (m *Model) Focus(on bool) { m.focused = on }

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// Len is how many lines the pane holds.
func (m *Model) Len() int { return m.n }

func (m *Model) push(e entry) {
	m.total++
	if m.n < Capacity {
		if len(m.ring) < Capacity {
			m.ring = append(m.ring, e)
		} else {
			m.ring[(m.start+m.n)%Capacity] = e
		}
		m.n++
	} else {
		m.ring[m.start] = e
		m.start = (m.start + 1) % Capacity
	}
	if m.back > 0 {
		m.back = min(m.back+1, m.n-1) // keep the scrolled view still
	}
}

func (m *Model) at(i int) *entry { return &m.ring[(m.start+i)%len(m.ring)] }

// Update takes events (everything but probe windows becomes a line) and
// scrolls when focused.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case common.EventsMsg:
		for _, e := range msg.Events {
			if e.Kind != tl.ProbeWindow {
				m.push(entry{t: e.Time, kind: string(e.Kind), host: e.Host, text: e.Summary})
			}
			for _, s := range m.det.observe(e) {
				m.push(s)
			}
		}
	case tea.KeyMsg:
		if !m.focused {
			return m, nil
		}
		page := max(1, m.c.Height-3)
		k := m.c.Keys
		switch {
		case key.Matches(msg, k.Up):
			m.back++
		case key.Matches(msg, k.Down):
			m.back--
		case key.Matches(msg, k.PageUp):
			m.back += page
		case key.Matches(msg, k.PageDown):
			m.back -= page
		case key.Matches(msg, k.Top):
			m.back = m.n
		case key.Matches(msg, k.Bottom):
			m.back = 0
		}
		m.back = max(0, min(m.back, m.n-page))
	}
	return m, nil
}

// View implements tea.Model. It renders only the visible lines, so its cost
// does not grow with the session.
func (m *Model) View() string {
	s := m.c.Styles
	visible := max(0, m.c.Height-2)
	end := m.n - m.back
	begin := max(0, end-visible)
	body := make([]string, 0, visible)
	const wKind, wHost = 15, 12
	for i := begin; i < end; i++ {
		e := m.at(i)
		line := e.t.Format("15:04:05") + " " + common.Fit(e.kind, wKind) + " " + common.Fit(e.host, wHost) + " " + e.text
		switch {
		case e.synthetic:
			line = s.Title.Render(line)
		case strings.HasPrefix(e.kind, "probe.breach"), strings.HasPrefix(e.kind, "fault.failed"):
			line = s.Breach.Render(line)
		case strings.HasPrefix(e.kind, "sentinel.switch"):
			line = s.Warning.Render(line)
		}
		body = append(body, line)
	}
	if m.n == 0 {
		body = append(body, s.Dim.Render("no events yet"))
	}
	title := fmt.Sprintf("Timeline  %d events", m.total)
	if m.back > 0 {
		title += fmt.Sprintf(" · scrolled back %d (G follows)", m.back)
	}
	if f := m.det.last(); f != nil {
		title += " · " + f.kind + " " + f.id + ": detect " + fmtDur(f.TTD())
		if !f.recoverAt.IsZero() {
			title += ", recover " + fmtDur(f.TTR())
		}
	}
	return s.Frame(title, body, m.c.Width, m.c.Height, m.focused)
}

func fmtDur(d time.Duration) string { return common.Duration(d) }

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
