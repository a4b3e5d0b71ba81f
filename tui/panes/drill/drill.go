// Package drill is the pane of a training drill's screen: for a trainee
// the briefing, their own declarations and, at the end, the reveal; for
// the trainer the hidden plan and the live score board. It shows what it
// is given: what a screen may know is the session's decision.
package drill

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-dev/gameday/tui/common"
)

// Model is the drill pane.
type Model struct {
	common.Pane
	title  string
	head   []string // the briefing, or the plan
	mine   []string // a trainee's own declarations
	board  []string // the score board (trainer), the reveal (everyone, at the end)
	offset int
}

// New returns the pane titled title, showing head (wrapped) first.
func New(c common.Common, title, head string) *Model {
	return &Model{Pane: common.Pane{Common: c}, title: title, head: lines(head)}
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// SetHead replaces the text shown first.
func (m *Model) SetHead(s string) { m.head = lines(s) }

// AddMine adds one of the trainee's own declarations.
func (m *Model) AddMine(line string) { m.mine = append(m.mine, line) }

// ClearMine forgets the declarations shown (the screen is rebuilt).
func (m *Model) ClearMine() { m.mine = nil }

// SetBoard replaces the board (or reveal) shown last.
func (m *Model) SetBoard(s string) { m.board = lines(s) }

// Update scrolls the pane when it has the focus.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !m.Focused {
		return m, nil
	}
	switch {
	case key.Matches(km, m.Keys.Up):
		m.offset = max(0, m.offset-1)
	case key.Matches(km, m.Keys.Down):
		m.offset++
	}
	return m, nil
}

// View implements tea.Model.
func (m *Model) View() string {
	s := m.Styles
	inner := max(10, m.Width-4)
	var body []string
	for _, l := range m.head {
		body = append(body, strings.Split(ansi.Wordwrap(l, inner, ""), "\n")...)
	}
	if m.mine != nil {
		body = append(body, "", s.Header.Render("your declarations"))
		body = append(body, m.mine...)
	}
	if m.board != nil {
		body = append(body, "")
		body = append(body, m.board...)
	}
	visible := max(0, m.Height-2)
	m.offset = min(m.offset, max(0, len(body)-visible))
	return s.Frame(m.title, body[m.offset:], m.Width, m.Height, m.Focused)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.Keys.Up, m.Keys.Down} }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
