package tui

import tea "github.com/charmbracelet/bubbletea"

// Render draws the screen once at w×h, as it shows after taking in the
// feed's first frame — with the armed faults and, in a replay, the marks —
// without a terminal: `gameday replay --print` and the replay benchmarks.
// The feed must have its first frame ready (a replay always has).
func Render(o Options, w, h int) string {
	m := New(o)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	if o.Feed != nil {
		m.Update(waitFeed(o.Feed)())
	}
	if o.Cursor != nil {
		m.Update(marksMsg{marks: o.Cursor.Marks()})
	}
	if cmd := m.listCmd(); cmd != nil {
		m.Update(cmd())
	}
	return m.View()
}
