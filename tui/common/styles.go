package common

import "github.com/charmbracelet/lipgloss"

// Styles is the one place colours and borders are chosen. Every meaning a
// colour carries is also carried by a word or a glyph, so that NO_COLOR and
// monochrome terminals lose nothing.
type Styles struct {
	Pane        lipgloss.Style // unfocused pane border
	PaneFocused lipgloss.Style // focused pane border
	Title       lipgloss.Style
	TitleFocus  lipgloss.Style
	Header      lipgloss.Style // column headings
	Selected    lipgloss.Style // the cursor row
	Dim         lipgloss.Style
	OK          lipgloss.Style
	Breach      lipgloss.Style
	Error       lipgloss.Style
	Pending     lipgloss.Style
	Flash       lipgloss.Style // a row that just changed (sentinel switch)
	Dangerous   lipgloss.Style // keys that change the system under test
	Dialog      lipgloss.Style
	DialogTitle lipgloss.Style
	StatusBar   lipgloss.Style
	StatusKey   lipgloss.Style
	Warning     lipgloss.Style
	// Border and BorderFocused colour a pane's frame glyphs.
	Border        lipgloss.Style
	BorderFocused lipgloss.Style
}

// DefaultStyles returns gameday's styles for the process's own terminal.
// Colours are ANSI 16 so they follow the operator's terminal theme.
func DefaultStyles() *Styles { return NewStyles(nil) }

// NewStyles returns gameday's styles rendered by r (nil: the default
// renderer, the process's terminal). A screen served over SSH passes its
// client's renderer, so that each client gets the colours its own
// terminal supports.
func NewStyles(r *lipgloss.Renderer) *Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	border := lipgloss.RoundedBorder()
	st := &Styles{
		Pane:        r.NewStyle().Border(border).BorderForeground(lipgloss.Color("8")),
		PaneFocused: r.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(lipgloss.Color("12")),
		Title:       r.NewStyle().Bold(true),
		TitleFocus:  r.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		Header:      r.NewStyle().Faint(true),
		Selected:    r.NewStyle().Reverse(true),
		Dim:         r.NewStyle().Faint(true),
		OK:          r.NewStyle().Foreground(lipgloss.Color("2")),
		Breach:      r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		Error:       r.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
		Pending:     r.NewStyle().Faint(true),
		Flash:       r.NewStyle().Reverse(true).Bold(true),
		Dangerous:   r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		Dialog:      r.NewStyle().Border(lipgloss.DoubleBorder()).Padding(0, 1),
		DialogTitle: r.NewStyle().Bold(true).Underline(true),
		StatusBar:   r.NewStyle().Reverse(true),
		StatusKey:   r.NewStyle().Bold(true),
		Warning:     r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
	}
	st.Border = r.NewStyle().Foreground(st.Pane.GetBorderTopForeground())
	st.BorderFocused = r.NewStyle().Foreground(st.PaneFocused.GetBorderTopForeground())
	return st
}
