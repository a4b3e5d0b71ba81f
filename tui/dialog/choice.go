package dialog

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/tui/common"
)

// Option is one answer of a Choice: the key that picks it and the message
// the root receives.
type Option struct {
	Key key.Binding
	Msg tea.Msg
}

// Choice asks one question with a few keyed answers; esc always cancels.
type Choice struct {
	c       common.Common
	title   string
	body    []string
	options []Option
}

// NewChoice returns a Choice dialog.
func NewChoice(c common.Common, title string, body []string, options ...Option) *Choice {
	return &Choice{c: c, title: title, body: body, options: options}
}

// Update implements Dialog.
func (d *Choice) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	for _, o := range d.options {
		if key.Matches(km, o.Key) {
			return d, msgCmd(o.Msg)
		}
	}
	if key.Matches(km, d.c.Keys.Back) {
		return d, closeCmd
	}
	return d, nil
}

// Bindings implements Dialog.
func (d *Choice) Bindings() []key.Binding {
	bs := make([]key.Binding, 0, len(d.options)+1)
	for _, o := range d.options {
		bs = append(bs, o.Key)
	}
	return append(bs, withHelp(d.c.Keys.Back, "cancel"))
}

// View implements Dialog.
func (d *Choice) View() string { return box(d.c, d.title, d.body, d.Bindings()) }

// WithHelp returns b with its help text replaced; dialogs built by the root
// use it to say what a key means in that question.
func WithHelp(b key.Binding, desc string) key.Binding { return withHelp(b, desc) }
