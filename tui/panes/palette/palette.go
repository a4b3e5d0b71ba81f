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
	c       common.Common
	kinds   []inject.KindInfo
	cursor  int
	offset  int
	focused bool
}

// New returns the palette listing kinds in the order given.
func New(c common.Common, kinds []inject.KindInfo) *Model {
	return &Model{c: c, kinds: kinds}
}

// SetCommon updates the shared state (size, clock, styles).
func (m *Model) SetCommon(c common.Common) { m.c = c }

// SetSize implements common.Component.
func (m *Model) SetSize(w, h int) { m.c.Width, m.c.Height = w, h }

// Focus marks the pane as the one receiving keys.
func (m *Model) Focus(on bool) { m.focused = on }

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// Update moves the cursor and turns the arm key into a ChooseMsg.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !m.focused || len(m.kinds) == 0 {
		return m, nil
	}
	switch {
	case key.Matches(km, m.c.Keys.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(km, m.c.Keys.Down):
		m.cursor = min(len(m.kinds)-1, m.cursor+1)
	case key.Matches(km, m.c.Keys.Arm):
		k := m.kinds[m.cursor]
		return m, func() tea.Msg { return ChooseMsg{Kind: k} }
	}
	return m, nil
}

// View implements tea.Model.
func (m *Model) View() string {
	s := m.c.Styles
	inner := m.c.Width - 2
	visible := max(0, m.c.Height-2)
	if m.c.ReadOnly {
		visible--
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if visible > 0 && m.cursor >= m.offset+visible {
		m.offset = m.cursor - visible + 1
	}
	body := make([]string, 0, visible+1)
	if m.c.ReadOnly {
		body = append(body, s.Dim.Render("read-only: arming is disabled"))
	}
	nameW := 12
	for i := m.offset; i < len(m.kinds) && i < m.offset+visible; i++ {
		k := m.kinds[i]
		mark := "  "
		if m.focused && i == m.cursor {
			mark = "> "
		}
		line := common.Fit(mark+k.Name, nameW+2) + " " + s.Dim.Render(k.Help)
		line = common.Fit(line, inner)
		if m.focused && i == m.cursor {
			line = s.Selected.Render(line)
		}
		body = append(body, line)
	}
	if len(m.kinds) == 0 {
		body = append(body, s.Dim.Render("no fault kinds registered"))
	}
	return s.Frame(fmt.Sprintf("Faults  %d kinds", len(m.kinds)), body, m.c.Width, m.c.Height, m.focused)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.c.Keys.Up, m.c.Keys.Down, m.c.Keys.Arm}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
