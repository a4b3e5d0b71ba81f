// Package palette is the Fault palette pane: the registered fault kinds,
// one of which the operator picks to arm.
package palette

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/tui/common"
)

// ChooseMsg asks the root to start arming Kind: host picker, form, confirm.
type ChooseMsg struct {
	Kind inject.KindInfo
}

// Model is the Fault palette pane.
type Model struct {
	common.Pane
	kinds  []inject.KindInfo
	cursor int
	offset int
}

// New returns the palette listing kinds in the order given.
func New(c common.Common, kinds []inject.KindInfo) *Model {
	return &Model{Pane: common.Pane{Common: c}, kinds: kinds}
}

// Update moves the cursor and turns the arm key into a ChooseMsg.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !m.Focused || len(m.kinds) == 0 {
		return m, nil
	}
	switch {
	case m.Move(km, &m.cursor, len(m.kinds)):
	case key.Matches(km, m.Keys.Arm):
		k := m.kinds[m.cursor]
		return m, func() tea.Msg { return ChooseMsg{Kind: k} }
	}
	return m, nil
}

// View implements tea.Model.
func (m *Model) View() string {
	s := m.Styles
	inner := m.Width - 2
	visible := max(0, m.Height-2)
	if m.ReadOnly {
		visible--
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if visible > 0 && m.cursor >= m.offset+visible {
		m.offset = m.cursor - visible + 1
	}
	body := make([]string, 0, visible+1)
	if m.ReadOnly {
		body = append(body, s.Dim.Render("read-only: arming is disabled"))
	}
	nameW := 12
	for i := m.offset; i < len(m.kinds) && i < m.offset+visible; i++ {
		k := m.kinds[i]
		mark := "  "
		if m.Focused && i == m.cursor {
			mark = "> "
		}
		line := common.Fit(mark+k.Name, nameW+2) + " " + s.Dim.Render(k.Help)
		line = common.Fit(line, inner)
		if m.Focused && i == m.cursor {
			line = s.Selected.Render(line)
		}
		body = append(body, line)
	}
	if len(m.kinds) == 0 {
		body = append(body, s.Dim.Render("no fault kinds registered"))
	}
	return s.Frame(fmt.Sprintf("Faults  %d kinds", len(m.kinds)), body, m.Width, m.Height, m.Focused)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.Keys.Up, m.Keys.Down, m.Keys.Arm}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
