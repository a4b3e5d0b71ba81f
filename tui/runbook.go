package tui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/tui/dialog"
)

// runbookAsk is one question from the running runbook.
type runbookAsk struct {
	preview inject.Preview
	reply   chan bool
}

// Messages of the runbook flow.
type (
	startRunbookMsg struct{}
	runbookAskMsg   struct{ ask runbookAsk }
	runbookDoneMsg  struct {
		verdict, reason string
		err             error
	}
)

// askRunbook opens the question about to start the runbook.
func (m *Model) askRunbook() tea.Cmd {
	if m.opts.Runbook == nil || m.c.ReadOnly {
		return nil
	}
	if m.runbook != "" {
		m.status.Message = "runbook " + m.opts.Runbook.Name + ": " + m.runbook
		return nil
	}
	k := m.c.Keys
	m.dialog = dialog.NewChoice(m.dialogCommon(), "Start runbook "+m.opts.Runbook.Name+"?",
		[]string{"It runs its steps now. Each inject shows its exact plan and waits for your y;", "esc at that question aborts the runbook, which then rolls back."},
		dialog.Option{Key: dialog.WithHelp(k.Confirm, "yes, start it"), Msg: startRunbookMsg{}})
	return nil
}

// startRunbook runs the runbook in a command; its questions come back
// through m.asks, read by waitAsk.
func (m *Model) startRunbook() tea.Cmd {
	m.dialog = nil
	rb := m.opts.Runbook
	return m.runRunbook(rb.Run, "runbook "+rb.Name+" running")
}

// runRunbook runs run (the runbook's Run, or its Follow of a run already
// going) in a command, saying msg.
func (m *Model) runRunbook(run func(ask func(context.Context, inject.Preview) (bool, error)) (string, string, error), msg string) tea.Cmd {
	m.runbook = "running"
	m.asks = make(chan runbookAsk)
	asks := m.asks
	m.status.Message = msg
	ask := func(ctx context.Context, p inject.Preview) (bool, error) {
		a := runbookAsk{preview: p, reply: make(chan bool, 1)}
		select {
		case asks <- a:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		select {
		case yes := <-a.reply:
			return yes, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	done := make(chan struct{})
	m.asksDone = done
	runCmd := func() tea.Msg {
		defer close(done)
		v, r, err := run(ask)
		return runbookDoneMsg{verdict: v, reason: r, err: err}
	}
	return tea.Batch(runCmd, waitAsk(asks, done))
}

// waitAsk reads the runbook's next question; it ends, with no message,
// when the runbook has.
func waitAsk(asks <-chan runbookAsk, done <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		select {
		case a := <-asks:
			return runbookAskMsg{ask: a}
		case <-done:
			return nil
		}
	}
}

// onRunbookAsk puts the runbook's question on screen; it takes the place
// of any dialog the operator had open, because the runbook waits for it.
func (m *Model) onRunbookAsk(msg runbookAskMsg) tea.Cmd {
	if m.c.Width == 0 {
		// A dialog is laid out for the screen's size: wait for it. The
		// runbook waits for this answer, so nothing else is asked.
		m.heldAsk = &msg
		return nil
	}
	m.dialog = dialog.NewRunbookConfirm(m.dialogCommon(), m.opts.Runbook.Name, msg.ask.preview, msg.ask.reply)
	return waitAsk(m.asks, m.asksDone)
}

func (m *Model) onRunbookDone(msg runbookDoneMsg) {
	if d, ok := m.dialog.(*dialog.Confirm); ok && d.Runbook() {
		m.dialog = nil
	}
	if msg.err == nil && msg.verdict == "" {
		m.runbook = "" // the run this screen joined had ended already
		return
	}
	if msg.err != nil {
		m.runbook = "failed"
		m.status.Message = "error: runbook " + m.opts.Runbook.Name + ": " + msg.err.Error()
		return
	}
	m.runbook = msg.verdict
	m.status.Message = fmt.Sprintf("runbook %s: %s", m.opts.Runbook.Name, msg.verdict)
	if msg.reason != "" {
		m.status.Message += " (" + msg.reason + ")"
	}
}
