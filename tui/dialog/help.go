package dialog

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/keys"
)

// Help is the help overlay. It is generated from the key map, so what it
// shows is what the keys do, and read-only mode shows no arming keys.
type Help struct{ c common.Common }

// NewHelp returns the help overlay.
func NewHelp(c common.Common) *Help { return &Help{c: c} }

// Update implements Dialog.
func (d *Help) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok && (key.Matches(km, d.c.Keys.Back) || key.Matches(km, d.c.Keys.Help) || km.String() == "q") {
		return d, closeCmd
	}
	return d, nil
}

// Bindings implements Dialog.
func (d *Help) Bindings() []key.Binding {
	return []key.Binding{withHelp(d.c.Keys.Help, "close"), withHelp(d.c.Keys.Back, "close")}
}

// Lines renders the key map as help lines: one heading per section, one
// line per enabled binding, dangerous keys marked "!".
func Lines(c common.Common, km *keys.KeyMap) []string {
	var out []string
	danger := false
	for i, s := range km.Sections() {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, c.Styles.Title.Render(s.Title))
		for _, b := range s.Bindings {
			mark := "  "
			if km.Dangerous(b) {
				mark, danger = c.Styles.Dangerous.Render(" !"), true
			}
			out = append(out, mark+" "+common.Fit(c.Styles.StatusKey.Render(b.Help().Key), 10)+" "+keys.Describe(b))
		}
	}
	if danger {
		out = append(out, "", "! changes the system under test; always asks for confirmation first")
	}
	if c.ReadOnly {
		out = append(out, "", "read-only: arming and reverting keys are disabled")
	}
	return out
}

// View implements Dialog. On a short screen the help goes into two
// columns, so that it never runs off the bottom.
func (d *Help) View() string {
	lines := Lines(d.c, d.c.Keys)
	if len(lines)+6 <= d.c.Height {
		return box(d.c, "Keys", lines, d.Bindings())
	}
	half := (len(lines) + 1) / 2
	for half < len(lines) && lines[half-1] != "" { // break between sections
		half++
	}
	colW := max(20, (min(d.c.Width-4, 150)-4-3)/2)
	left, right := lines[:half], lines[half:]
	body := make([]string, max(len(left), len(right)))
	for i := range body {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		body[i] = common.Fit(l, colW) + " │ " + common.Fit(r, colW)
	}
	return box(d.c, "Keys", body, d.Bindings())
}
