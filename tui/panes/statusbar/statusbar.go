// Package statusbar is the bottom line: inventory, session journal, armed
// count, the last message, and the clock.
package statusbar

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-dev/gameday/tui/common"
)

// Model is the status bar. It has no keys and no messages of its own: the
// root sets its fields.
type Model struct {
	c         common.Common
	Inventory string
	Journal   string
	Armed     int
	Message   string // last outcome ("exported …", "error: …")
}

// New returns a status bar.
func New(c common.Common) *Model { return &Model{c: c} }

// SetCommon updates the shared state (size, clock, styles).
func (m *Model) SetCommon(c common.Common) { m.c = c }

// View renders exactly one line of the screen's width. The clock shows
// minutes only, so it needs one redraw a minute, not one a second.
func (m *Model) View() string {
	s := m.c.Styles
	w := m.c.Width
	left := fmt.Sprintf(" gameday · %s · journal %s", orNone(m.Inventory), orNone(m.Journal))
	if m.c.ReadOnly {
		left += " · READ-ONLY"
	}
	right := fmt.Sprintf("armed %d · %s ", m.Armed, m.c.Now().Format("15:04 MST"))
	mid := ""
	if m.Message != "" {
		mid = " · " + m.Message
	}
	room := w - ansi.StringWidth(right)
	l := left + mid
	if ansi.StringWidth(l) > room {
		// The message matters more than the journal path: cut the path.
		l = ansi.Truncate(left, max(0, room-ansi.StringWidth(mid)-1), "…") + mid
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
