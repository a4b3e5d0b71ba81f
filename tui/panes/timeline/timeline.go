// Package timeline is the Timeline pane: the session's significant events,
// newest at the bottom, repeats merged, scrollable, under one line per
// recent fault with its figures (detected, failover, self-healed,
// recovered) as they become known. Rows and figures come from the
// timeline package's Analyzer, the one the report reads.
package timeline

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	tl "github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
)

// MaxFaultLines bounds the fault lines above the events: the newest
// faults, those still in place first.
const MaxFaultLines = 3

// Model is the Timeline pane.
type Model struct {
	common.Pane
	an     *tl.Analyzer
	back   int              // rows scrolled back from the newest; 0 follows
	faults []tl.FaultReport // cached figures, refreshed per batch
}

// New returns an empty pane.
func New(c common.Common) *Model {
	return &Model{Pane: common.Pane{Common: c}, an: tl.NewAnalyzer()}
}

// Len is how many rows the pane holds.
func (m *Model) Len() int { return len(m.an.Rows()) }

// Faults returns the figures of every fault so far, as the pane shows them.
func (m *Model) Faults() []tl.FaultReport { return m.faults }

// Update feeds events to the analyzer and scrolls when focused.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case common.EventsMsg:
		if msg.Analysis != nil {
			// A replay's reset: the analysis of everything up to the
			// cursor, from a checkpoint, instead of hours of events.
			m.an, m.back = msg.Analysis, 0
			m.faults = m.an.Faults()
			return m, nil
		}
		before := m.Len()
		for _, e := range msg.Events {
			m.an.Feed(e)
		}
		if m.back > 0 {
			m.back += m.Len() - before // keep the scrolled view still
		}
		m.faults = m.an.Faults()
	case tea.KeyMsg:
		if !m.Focused {
			return m, nil
		}
		page := max(1, m.Height-3)
		k := m.Keys
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
			m.back = m.Len()
		case key.Matches(msg, k.Bottom):
			m.back = 0
		}
		m.back = max(0, min(m.back, m.Len()-page))
	}
	return m, nil
}

// faultLines picks the faults shown above the events: those in place,
// then the most recent, at most MaxFaultLines, in the order they began.
func (m *Model) faultLines() []string {
	var pick []int
	for i := len(m.faults) - 1; i >= 0 && len(pick) < MaxFaultLines; i-- {
		if m.faults[i].EndedAt == nil {
			pick = append(pick, i)
		}
	}
	for i := len(m.faults) - 1; i >= 0 && len(pick) < MaxFaultLines; i-- {
		if m.faults[i].EndedAt != nil {
			pick = append(pick, i)
		}
	}
	lines := make([]string, 0, len(pick))
	for i := range m.faults {
		for _, p := range pick {
			if p == i {
				lines = append(lines, m.faults[i].Line())
			}
		}
	}
	return lines
}

// View implements tea.Model. It renders only the visible rows, so its cost
// does not grow with the session.
func (m *Model) View() string {
	s := m.Styles
	visible := max(0, m.Height-2)
	var body []string
	for _, l := range m.faultLines() {
		if len(body) >= visible/2 {
			break
		}
		body = append(body, s.Title.Render(l))
	}
	rows := m.an.Rows()
	room := visible - len(body)
	end := len(rows) - m.back
	begin := max(0, end-room)
	const wKind, wHost = 15, 12
	replay := m.Mode == common.Replay
	for i := begin; i < end; i++ {
		e := &rows[i]
		line := e.Time.Format("15:04:05") + " " + common.Fit(string(e.Kind), wKind) + " " + common.Fit(e.Host, wHost) + " " + e.Summary
		if e.By != "" && !strings.HasPrefix(e.Summary, e.By+" ") {
			// Who wrote the note or armed the fault, as the report says
			// it (unless the summary starts with them: "dave diagnoses").
			line += " (" + e.By + ")"
		}
		if replay {
			// The newest row is the event at the replay's cursor: marked
			// without colour too.
			if i == len(rows)-1 {
				body = append(body, s.Selected.Render(common.Fit("> "+line, m.Width-2)))
				continue
			}
			line = "  " + line
		}
		switch {
		case e.Kind == tl.ProbeBreach, e.Kind == tl.ProbeError, e.Kind == tl.FaultFailed:
			line = s.Breach.Render(line)
		case e.Kind == tl.SentinelSwitch:
			line = s.Warning.Render(line)
		case e.Kind == tl.Note:
			line = s.Title.Render(line)
		}
		body = append(body, line)
	}
	if len(rows) == 0 && len(body) == 0 {
		body = append(body, s.Dim.Render("no events yet"))
	}
	title := fmt.Sprintf("Timeline  %d events", m.Len())
	switch n := len(m.faults); n {
	case 0:
	case 1:
		title += " · 1 fault"
	default:
		title += fmt.Sprintf(" · %d faults", n)
	}
	if m.back > 0 {
		title += fmt.Sprintf(" · scrolled back %d (G follows)", m.back)
	}
	return s.Frame(title, body, m.Width, m.Height, m.Focused)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	k := m.Keys
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
