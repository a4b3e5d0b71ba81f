package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/tui/common"
)

// mode is what one kind of screen changes in the screen every kind
// shares (probes, armed faults, timeline, dialogs, notes, status bar):
// its panes and their layout, its clock, the keys of its own and what it
// starts. live is a session as it happens — with or without arming, as
// the person's permissions say; replay is a recorded session as of a time
// cursor. Another kind of screen (a drill's trainer or trainee view) is
// one more implementation of these few methods, not more branches in the
// root.
type mode interface {
	// kind tells the panes which screen they are part of.
	kind() common.Mode
	// layout lists the panes: the focusable ones in focus order (probes
	// first, timeline last, the middle row between), the one focused at
	// start, and an optional band above the footer.
	layout(m *Model) layout
	// begin returns the mode's own commands when the screen starts.
	begin(m *Model) []tea.Cmd
	// onFrame takes in what a frame of the feed says beyond its events
	// (in a replay, the time it brings the screen to), before the panes
	// take the events.
	onFrame(m *Model, msg eventsMsg) tea.Cmd
	// onKey handles the keys the mode adds; handled false passes the key
	// on to the global keys and the focused pane.
	onKey(m *Model, msg tea.KeyMsg) (cmd tea.Cmd, handled bool)
	// onMsg handles the mode's own messages (false: not one of them).
	onMsg(m *Model, msg tea.Msg) (tea.Cmd, bool)
	// footer lists the keys the footer shows.
	footer(m *Model) []key.Binding
	// moving tells whether something on screen changes by itself, so
	// that the screen redraws every second (countdowns).
	moving(m *Model) bool
}

// layout is how a mode arranges its panes: the probes on top, a middle
// row (left to right; with two panes the first takes a fixed share), the
// timeline, then the band, full width, above the footer.
type layout struct {
	middle   []pane
	midRows  int // rows the middle row wants
	first    pane
	band     band // nil: no band
	bandRows int
}

// band is a full-width strip a mode draws above the footer.
type band interface {
	common.Component
	SetCommon(common.Common)
}

// focusable lists the panes that take the focus, in order.
func (l layout) focusable(m *Model) []pane {
	return append(append([]pane{m.probes}, l.middle...), m.timeline)
}

// live is the screen of a session as it happens.
type live struct{}

func (live) kind() common.Mode { return common.Live }

func (live) layout(m *Model) layout {
	return layout{middle: []pane{m.palette, m.armed}, midRows: max(6, len(m.opts.Kinds)+3), first: m.palette}
}

func (live) begin(m *Model) []tea.Cmd {
	cmds := []tea.Cmd{m.clockCmd()}
	if m.opts.Faults != nil {
		cmds = append(cmds, m.listCmd())
		if !m.opts.ReadOnly {
			cmds = append(cmds, m.orphansCmd())
		} else {
			cmds = append(cmds, m.pollCmd())
		}
	}
	return cmds
}

func (live) onFrame(*Model, eventsMsg) tea.Cmd        { return nil }
func (live) onKey(*Model, tea.KeyMsg) (tea.Cmd, bool) { return nil, false }
func (live) onMsg(*Model, tea.Msg) (tea.Cmd, bool)    { return nil, false }
func (live) moving(m *Model) bool                     { return m.armed.Count() > 0 || len(m.pending) > 0 }

// footer is the focused pane's short help, then the global keys.
func (live) footer(m *Model) []key.Binding {
	k := m.c.Keys
	return append(m.focused().ShortHelp(), k.NextPane, k.Note, k.Export, k.Help, k.Quit)
}
