package tui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/dialog"
	"github.com/gameday-dev/gameday/tui/panes/armed"
	"github.com/gameday-dev/gameday/tui/panes/palette"
	"github.com/gameday-dev/gameday/tui/panes/probes"
	tlpane "github.com/gameday-dev/gameday/tui/panes/timeline"
)

// Update is a router: it handles size, time, focus, dialogs and quitting,
// hands pane-owned messages to their pane, and leaves the arming flow to
// the handlers in flow.go.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.updates.Add(1)
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		if held := m.heldAsk; held != nil {
			m.heldAsk = nil
			return m, m.onRunbookAsk(*held)
		}
		return m, nil
	case eventsMsg:
		return m, m.onEvents(msg)
	case clockMsg:
		return m, m.clockCmd()
	case pollMsg:
		return m, tea.Batch(m.listCmd(), m.pollCmd())
	case secondMsg:
		return m, m.onSecond()
	case probes.FlashDoneMsg:
		return m, nil // only a redraw is due
	case tea.KeyMsg:
		return m, m.onKey(msg)
	}
	if cmd, ok := m.mode.onMsg(m, msg); ok {
		return m, cmd
	}
	if cmd, ok := m.onFlow(msg); ok {
		return m, cmd
	}
	if m.dialog != nil {
		var cmd tea.Cmd
		m.dialog, cmd = m.dialog.Update(msg)
		return m, cmd
	}
	return m, nil
}

// onEvents hands a batch of timeline events to the panes that show them,
// rebuilding them first when the feed says the batch is the whole state,
// reads the armed faults again when a fault changed, and re-arms the feed
// read.
func (m *Model) onEvents(msg eventsMsg) tea.Cmd {
	cmds := []tea.Cmd{m.mode.onFrame(m, msg)}
	if msg.reset {
		m.rebuild()
		cmds = append(cmds, m.listCmd())
	}
	if len(msg.events) > 0 || msg.reset {
		if d := m.opts.Delivered; d != nil {
			d(msg.events)
		}
		m.status.Observe(msg.events, msg.reset)
		em := common.EventsMsg{Events: msg.events, Analysis: msg.analysis}
		rows := m.probes.Rows()
		_, c1 := m.probes.Update(em)
		if m.probes.Rows() != rows && m.c.Width > 0 {
			m.resize(m.c.Width, m.c.Height) // a probe seen for the first time needs its row
		}
		_, c2 := m.timeline.Update(em)
		cmds = append(cmds, c1, c2)
		listed := msg.reset
		for _, e := range msg.events {
			switch {
			case strings.HasPrefix(string(e.Kind), "fault.") && !listed:
				cmds = append(cmds, m.listCmd())
				listed = true
			case e.Kind == timeline.SessionRole && m.opts.Seat != nil && e.String("person") == m.opts.Seat.Who():
				m.applyRole(e.String("by"))
			}
		}
	}
	switch {
	case !msg.closed:
		cmds = append(cmds, waitFeed(m.opts.Feed))
	case m.opts.Shared:
		// The session ended (the server stops): so does this screen.
		return tea.Quit
	}
	return tea.Batch(cmds...)
}

// rebuild replaces the panes built from events with empty ones, keeping
// focus and size: the events that follow are the whole state.
func (m *Model) rebuild() {
	m.probes = probes.New(m.c, m.opts.Probes)
	m.timeline = tlpane.New(m.c)
	m.panes = m.mode.layout(m).focusable(m)
	m.setFocus(m.focus)
	if m.c.Width > 0 {
		m.resize(m.c.Width, m.c.Height)
	}
}

// applyRole takes in a new role of the person at this screen (a
// hand-over): the keys they have follow it.
func (m *Model) applyRole(by string) {
	m.c.Keys = keyMap(m.opts)
	m.c.ReadOnly = !m.c.Keys.Revert.Enabled()
	m.palette.SetCommon(m.c)
	m.armed.SetCommon(m.c)
	if m.c.Width > 0 {
		m.resize(m.c.Width, m.c.Height)
	}
	m.status.Message = "you are now " + m.opts.Seat.Role()
	if by != "" && by != m.opts.Seat.Who() {
		m.status.Message += " (handed over by " + by + ")"
	}
}

// onSecond redraws countdowns and keeps ticking only while needed. When a
// TTL has run out it reads the ledger again (at most every 5 s), in case
// the guard's revert was not reported as an event.
func (m *Model) onSecond() tea.Cmd {
	if !m.moving() {
		m.ticking = false
		return nil
	}
	now := m.c.Now()
	var cmds []tea.Cmd
	for _, f := range m.armed.Faults() {
		if now.After(f.Deadline) && now.Sub(m.lastList) > 5*time.Second {
			m.lastList = now
			cmds = append(cmds, m.listCmd())
			break
		}
	}
	return tea.Batch(append(cmds, secondCmd())...)
}

// onKey routes a key: to the open dialog, else global keys, else the
// focused pane.
func (m *Model) onKey(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyCtrlC {
		// ctrl+c works from anywhere; pressed again at the quit question
		// it takes the safe answer: revert everything, then quit.
		if m.dialog != nil && m.dialog == m.quitDialog && !m.c.ReadOnly {
			return m.onQuitRevert()
		}
		return m.quit()
	}
	if m.dialog != nil {
		var cmd tea.Cmd
		m.dialog, cmd = m.dialog.Update(msg)
		return cmd
	}
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case m.tooSmall():
		return nil
	}
	if cmd, ok := m.mode.onKey(m, msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Help):
		m.dialog = dialog.NewHelp(m.dialogCommon())
		return nil
	case key.Matches(msg, k.NextPane):
		m.setFocus(m.focus + 1)
		return nil
	case key.Matches(msg, k.PrevPane):
		m.setFocus(m.focus - 1)
		return nil
	case key.Matches(msg, k.Note):
		m.dialog = dialog.NewNote(m.dialogCommon())
		return nil
	case key.Matches(msg, k.Export):
		m.status.Message = "exporting the timeline…"
		return m.exportCmd()
	case key.Matches(msg, k.HandOver):
		m.askHandOver()
		return nil
	case key.Matches(msg, k.Runbook):
		return m.askRunbook()
	case key.Matches(msg, k.RevertAll) && m.focused() != pane(m.armed):
		// R works from any pane: it is the big red button.
		return func() tea.Msg { return armed.RevertAllMsg{} }
	}
	if why := m.refusal(msg); why != "" {
		m.status.Message = why
		return nil
	}
	_, cmd := m.focused().Update(msg)
	return cmd
}

// refusal says why a key this screen's person may not use does nothing
// ("" for any other key), so that pressing it is never silently ignored.
func (m *Model) refusal(msg tea.KeyMsg) string {
	k := m.c.Keys
	pressed := msg.String()
	seat := m.opts.Seat
	if _, ok := k.Refused(pressed); ok {
		if f := m.focused(); f == pane(m.probes) || f == pane(m.timeline) {
			if pressed == "enter" || pressed == "r" {
				return "" // not an action on these panes
			}
		}
		if seat != nil {
			if err := seat.MayArm(); err != nil {
				return "not allowed: " + err.Error()
			}
		}
		return "not allowed: this screen is read-only (arming and reverting are off)"
	}
	if !k.Note.Enabled() && slices.Contains(k.Note.Keys(), pressed) && seat != nil {
		if err := seat.MayNote(); err != nil {
			return "not allowed: " + err.Error()
		}
	}
	return ""
}

// onFlow handles the messages of the arming, reverting, note, export and
// quit flows. It reports false for messages it does not know.
func (m *Model) onFlow(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case dialog.CloseMsg:
		m.dialog = nil
	case palette.ChooseMsg:
		return m.onChoose(msg), true
	case dialog.PickedMsg:
		m.dialog = dialog.NewForm(m.dialogCommon(), msg.Kind, msg.Hosts)
	case dialog.FormDoneMsg:
		return m.onFormDone(msg), true
	case previewMsg:
		m.onPreview(msg)
	case dialog.ArmMsg:
		return m.onArm(msg), true
	case armedMsg:
		return m.onArmed(msg), true
	case armed.RevertMsg:
		return m.onRevert(msg), true
	case armed.RevertAllMsg:
		m.onRevertAll()
	case revertAllConfirmedMsg:
		return m.onRevertAllConfirmed(), true
	case revertedMsg:
		return m.onReverted(msg), true
	case listMsg:
		return m.onList(msg), true
	case orphansMsg:
		m.onOrphans(msg)
	case revertOrphansMsg:
		return m.onRevertOrphans(msg), true
	case dialog.NoteMsg:
		m.dialog = nil
		return m.noteCmd(msg.Text), true
	case noteMsg:
		if msg.err != nil {
			m.status.Message = "error: note not written: " + msg.err.Error()
		}
	case handOverMsg:
		m.dialog = nil
		return m.handOverCmd(msg.to), true
	case handedMsg:
		m.onHanded(msg)
	case stepDownMsg:
		m.dialog = nil
		return m.stepDownCmd(), true
	case steppedDownMsg:
		m.onSteppedDown(msg)
	case exportedMsg:
		m.onExported(msg)
	case startRunbookMsg:
		return m.startRunbook(), true
	case runbookAskMsg:
		return m.onRunbookAsk(msg), true
	case runbookDoneMsg:
		m.onRunbookDone(msg)
	case quitRevertMsg:
		return m.onQuitRevert(), true
	case quitLeaveMsg:
		m.outcome.LeftArmed = m.armed.Faults()
		return tea.Quit, true
	default:
		return nil, false
	}
	return nil, true
}

// dialogCommon is the Common a dialog gets: the whole screen.
func (m *Model) dialogCommon() common.Common { return m.c }
