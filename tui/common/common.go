// Package common holds what every pane of the gameday TUI shares: the
// styles, the key map, the clock and the size of the area a pane draws in,
// and the Component contract panes implement.
package common

import (
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/tui/keys"
)

// Common is passed by value to every pane; panes keep their own copy and
// get a fresh one on every resize.
type Common struct {
	Styles *Styles
	Keys   *keys.KeyMap
	// Now is the clock every pane reads (fixed in golden tests).
	Now func() time.Time
	// Width and Height are the outer size of the pane, borders included.
	Width, Height int
	// ReadOnly hides every arming and reverting action (spectator screen).
	ReadOnly bool
	// Mode is the kind of screen, for the few things a pane shows
	// differently in it.
	Mode Mode
}

// Mode is the kind of screen a pane is part of.
type Mode int

const (
	// Live watches a session as it happens; Now is the wall clock.
	Live Mode = iota
	// Replay shows a recorded session as of a time cursor; Now is the
	// cursor, and the newest event is the one at the cursor.
	Replay
)

// Component is the contract every pane and dialog fulfils: a Bubble Tea
// model that knows its own key bindings (for the generated help) and can be
// told how much room it has.
type Component interface {
	tea.Model
	help.KeyMap
	SetSize(width, height int)
}

// Pane is what every pane embeds: its copy of Common (fresh on every
// resize) and whether it has the focus, with the methods the root calls
// on each pane alike.
type Pane struct {
	Common
	// Focused is set while the pane receives the keys.
	Focused bool
}

// SetCommon updates the shared state (size, clock, styles).
func (p *Pane) SetCommon(c Common) { p.Common = c }

// SetSize implements Component.
func (p *Pane) SetSize(w, h int) { p.Width, p.Height = w, h }

// Focus gives the pane the keys, or takes them away.
func (p *Pane) Focus(on bool) { p.Focused = on }

// Move moves *cursor one row up or down a list of n rows for the Up and
// Down keys (0 for an empty list), and tells whether km was one of them.
func (p *Pane) Move(km tea.KeyMsg, cursor *int, n int) bool {
	switch {
	case key.Matches(km, p.Keys.Up):
		*cursor = max(0, *cursor-1)
	case key.Matches(km, p.Keys.Down):
		*cursor = max(0, min(n-1, *cursor+1))
	default:
		return false
	}
	return true
}

// Init implements tea.Model: a pane starts nothing.
func (p *Pane) Init() tea.Cmd { return nil }
