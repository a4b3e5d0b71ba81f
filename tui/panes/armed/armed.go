// Package armed is the Armed faults pane: each fault the ledger lists as
// active, with its hosts, parameters, age and the countdown to its TTL
// guard, plus the operations still in flight.
package armed

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/tui/common"
)

// RevertMsg asks the root to revert one fault.
type RevertMsg struct{ ID string }

// RevertAllMsg asks the root to confirm, then revert every armed fault.
type RevertAllMsg struct{}

// Model is the Armed faults pane.
type Model struct {
	common.Pane
	faults  []inject.Armed
	pending []string // operations in flight, e.g. "arming latency on redis-1"
	cursor  int
	offset  int
}

// New returns an empty pane.
func New(c common.Common) *Model { return &Model{Pane: common.Pane{Common: c}} }

// SetFaults replaces the list with the ledger's active faults.
func (m *Model) SetFaults(f []inject.Armed) {
	m.faults = append(m.faults[:0:0], f...)
	sort.SliceStable(m.faults, func(i, j int) bool { return m.faults[i].ArmedAt.Before(m.faults[j].ArmedAt) })
	if m.cursor >= len(m.faults) {
		m.cursor = max(0, len(m.faults)-1)
	}
}

// SetPending replaces the lines describing operations in flight.
func (m *Model) SetPending(p []string) { m.pending = p }

// Faults returns the faults shown.
func (m *Model) Faults() []inject.Armed { return m.faults }

// Count is how many faults are armed.
func (m *Model) Count() int { return len(m.faults) }

// Update moves the cursor and turns revert keys into messages for the root.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !m.Focused {
		return m, nil
	}
	switch {
	case m.Move(km, &m.cursor, len(m.faults)):
	case key.Matches(km, m.Keys.Revert):
		if len(m.faults) > 0 {
			id := m.faults[m.cursor].ID
			return m, func() tea.Msg { return RevertMsg{ID: id} }
		}
	case key.Matches(km, m.Keys.RevertAll):
		if len(m.faults) > 0 {
			return m, func() tea.Msg { return RevertAllMsg{} }
		}
	}
	return m, nil
}

// View implements tea.Model.
func (m *Model) View() string {
	s := m.Styles
	inner := m.Width - 2
	visible := max(0, m.Height-3-len(m.pending))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if visible > 0 && m.cursor >= m.offset+visible {
		m.offset = m.cursor - visible + 1
	}
	const wID, wKind, wAge, wTTL, wState = 10, 10, 7, 7, 9
	rest := inner - (wID + wKind + wAge + wTTL + wState + 5)
	wHosts := max(8, rest/2)
	wParams := max(0, rest-wHosts-1)
	cols := func(id, kind, hosts, params, age, ttl, state string) string {
		return common.Fit(id, wID) + " " + common.Fit(kind, wKind) + " " + common.Fit(hosts, wHosts) + " " +
			common.Fit(params, wParams) + " " + common.Fit(age, wAge) + " " + common.Fit(ttl, wTTL) + " " + common.Fit(state, wState)
	}
	body := []string{s.Header.Render(cols("  ID", "KIND", "HOSTS", "PARAMS", "AGE", "TTL", "STATE"))}
	now := m.Now()
	for i := m.offset; i < len(m.faults) && i < m.offset+visible; i++ {
		f := m.faults[i]
		id := "  " + f.ID
		if m.Focused && i == m.cursor {
			id = "> " + f.ID // the cursor must show without colour too
		}
		line := cols(id, f.Request.Kind, strings.Join(f.Request.Hosts, ","), common.Params(f.Request.Params),
			common.Duration(now.Sub(f.ArmedAt)), common.Duration(f.Deadline.Sub(now)), string(f.State))
		if m.Focused && i == m.cursor {
			line = s.Selected.Render(common.Fit(line, inner))
		}
		body = append(body, line)
	}
	for _, p := range m.pending {
		body = append(body, s.Pending.Render("pending: "+p))
	}
	if len(m.faults) == 0 && len(m.pending) == 0 {
		body = append(body, s.Dim.Render("nothing armed"))
	}
	return s.Frame(fmt.Sprintf("Armed  %d", len(m.faults)), body, m.Width, m.Height, m.Focused)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.Keys.Up, m.Keys.Down, m.Keys.Revert, m.Keys.RevertAll}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
