package dialog

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/tui/common"
)

// NoteMsg carries a note to record on the timeline.
type NoteMsg struct{ Text string }

// Note asks for one line of text.
type Note struct {
	c  common.Common
	in textinput.Model
}

// NewNote returns an empty note dialog.
func NewNote(c common.Common) *Note {
	in := newInput()
	in.Placeholder = "what just happened, or what you expect"
	in.CharLimit = 500
	in.Width = max(20, min(c.Width-12, 100))
	in.Focus()
	return &Note{c: c, in: in}
}

// newInput returns a text input with a steady cursor: a blinking one would
// need a timer running as long as the dialog is open.
func newInput() textinput.Model {
	in := textinput.New()
	in.Prompt = "> "
	in.Cursor.SetMode(cursor.CursorStatic)
	return in
}

// Update implements Dialog.
func (d *Note) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch km.Type {
		case tea.KeyEsc:
			return d, closeCmd
		case tea.KeyEnter:
			t := strings.TrimSpace(d.in.Value())
			if t == "" {
				return d, closeCmd
			}
			return d, msgCmd(NoteMsg{Text: t})
		}
	}
	var cmd tea.Cmd
	d.in, cmd = d.in.Update(msg)
	return d, cmd
}

// Bindings implements Dialog.
func (d *Note) Bindings() []key.Binding {
	return []key.Binding{withHelp(d.c.Keys.Select, "record the note"), withHelp(d.c.Keys.Back, "cancel")}
}

// View implements Dialog.
func (d *Note) View() string {
	return box(d.c, "Note for the timeline", []string{d.in.View()}, d.Bindings())
}
