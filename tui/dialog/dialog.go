// Package dialog holds the TUI's modal dialogs: the host picker, the
// parameter form, the arming confirmation, the generic choice (quit,
// orphans, revert all), the note input and the help overlay. A dialog takes
// every key while it is open and reports its outcome as a message; the
// root closes it when that message arrives.
package dialog

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gameday-dev/gameday/tui/common"
)

// Dialog is a modal: it gets every message the root does not handle itself.
type Dialog interface {
	Update(tea.Msg) (Dialog, tea.Cmd)
	// View renders the dialog box; the root centres it over the screen.
	View() string
	// Bindings lists the keys the dialog answers, for the footer.
	Bindings() []key.Binding
}

// CloseMsg closes the open dialog without an outcome (esc).
type CloseMsg struct{}

func closeCmd() tea.Msg { return CloseMsg{} }

// msgCmd returns a command that yields msg.
func msgCmd(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// box draws a dialog: title, body lines, and a footer naming its keys.
// width is the room the screen gives; the box never exceeds it.
func box(c common.Common, title string, body []string, bindings []key.Binding) string {
	return boxAtLeast(c, 40, title, body, bindings)
}

// boxAtLeast is box at least minW wide (up to the screen's room): a
// dialog whose body scrolls keeps one width instead of jumping.
func boxAtLeast(c common.Common, minW int, title string, body []string, bindings []key.Binding) string {
	s := c.Styles
	inner := dialogInner(c)
	w := lipgloss.Width(title)
	for _, l := range body {
		w = max(w, lipgloss.Width(l))
	}
	foot := common.KeyLine(c, bindings)
	w = min(inner, max(w, lipgloss.Width(foot), minW))
	lines := make([]string, 0, len(body)+4)
	lines = append(lines, common.Fit(s.DialogTitle.Render(title), w), common.Fit("", w))
	for _, l := range body {
		lines = append(lines, common.Fit(l, w))
	}
	lines = append(lines, common.Fit("", w), common.Fit(foot, w))
	return s.Dialog.Render(strings.Join(lines, "\n"))
}

// dialogInner is the widest a dialog's text may be on this screen: inside
// its border and padding, never more than 146 cells.
func dialogInner(c common.Common) int {
	return max(20, min(c.Width-4, 150)) - 4
}

// withHelp returns b with its help text replaced, for a dialog whose
// meaning of a key is more specific than the key map's.
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
