package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/gameday-dev/gameday/tui/dialog"
)

// askHandOver asks which of the people watching becomes a facilitator too:
// one numbered answer per person, as the status bar knows them.
func (m *Model) askHandOver() {
	if m.opts.Seat == nil {
		return
	}
	me := m.opts.Seat.Who()
	var opts []dialog.Option
	body := []string{"Make someone watching a facilitator too: they can then arm and revert.", "You stay facilitator. The hand-over is recorded on the timeline.", ""}
	for _, p := range m.status.Present() {
		name, _, _ := strings.Cut(p, " (")
		if name == me || len(opts) == 9 {
			continue
		}
		n := fmt.Sprint(len(opts) + 1)
		opts = append(opts, dialog.Option{Key: key.NewBinding(key.WithKeys(n), key.WithHelp(n, p)), Msg: handOverMsg{to: name}})
	}
	if len(opts) == 0 {
		m.status.Message = "nobody else is watching to hand the role to"
		return
	}
	m.dialog = dialog.NewChoice(m.dialogCommon(), "Hand over the facilitator role", body, opts...)
}

func (m *Model) onHanded(msg handedMsg) {
	if msg.err != nil {
		m.status.Message = "error: hand-over: " + msg.err.Error()
		return
	}
	m.status.Message = msg.to + " is now " + m.opts.Seat.Role() + " too"
}
