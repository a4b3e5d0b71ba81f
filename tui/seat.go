package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/tui/dialog"
)

// askHandOver asks which of the people watching becomes a facilitator too:
// one numbered answer per person, as the status bar knows them.
func (m *Model) askHandOver() {
	if m.opts.Seat == nil {
		return
	}
	me := m.opts.Seat.Who()
	body := []string{"Make someone watching a facilitator too: they can then arm and revert.", "You stay facilitator — or, with 0, step down to scribe. Both are recorded on the timeline.", ""}
	var present []string
	for _, p := range m.status.Present() {
		if name, _, _ := strings.Cut(p, " ("); name != me {
			present = append(present, p)
		}
	}
	opts := numbered(present, func(p string) tea.Msg {
		name, _, _ := strings.Cut(p, " (")
		return handOverMsg{to: name}
	})
	if len(opts) == 0 {
		m.status.Message = "nobody else is watching to hand the role to"
		return
	}
	opts = append(opts, dialog.Option{Key: key.NewBinding(key.WithKeys("0"), key.WithHelp("0", "step down: you become scribe")), Msg: stepDownMsg{}})
	m.dialog = dialog.NewChoice(m.dialogCommon(), "Hand over the facilitator role", body, opts...)
}

func (m *Model) onSteppedDown(msg steppedDownMsg) {
	if msg.err != nil {
		m.status.Message = "error: step down: " + msg.err.Error()
		return
	}
	// The session.role event that follows changes the keys.
	m.status.Message = "you stepped down"
}

func (m *Model) onHanded(msg handedMsg) {
	if msg.err != nil {
		m.status.Message = "error: hand-over: " + msg.err.Error()
		return
	}
	m.status.Message = msg.to + " is now " + m.opts.Seat.Role() + " too"
}

// numbered offers up to nine labels as the answers 1…9 of a choice, each
// answering msg(label).
func numbered(labels []string, msg func(label string) tea.Msg) []dialog.Option {
	var opts []dialog.Option
	for _, l := range labels[:min(len(labels), 9)] {
		n := fmt.Sprint(len(opts) + 1)
		opts = append(opts, dialog.Option{Key: key.NewBinding(key.WithKeys(n), key.WithHelp(n, l)), Msg: msg(l)})
	}
	return opts
}
