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
}

// DefaultStyles returns gameday's styles. Colours are ANSI 16 so they follow
// the operator's terminal theme.
func DefaultStyles() *Styles {
	border := lipgloss.RoundedBorder()
	return &Styles{
		Pane:        lipgloss.NewStyle().Border(border).BorderForeground(lipgloss.Color("8")),
		PaneFocused: lipgloss.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(lipgloss.Color("12")),
		Title:       lipgloss.NewStyle().Bold(true),
		TitleFocus:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		Header:      lipgloss.NewStyle().Faint(true),
		Selected:    lipgloss.NewStyle().Reverse(true),
		Dim:         lipgloss.NewStyle().Faint(true),
		OK:          lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		Breach:      lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		Error:       lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
		Pending:     lipgloss.NewStyle().Faint(true),
		Flash:       lipgloss.NewStyle().Reverse(true).Bold(true),
		Dangerous:   lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		Dialog:      lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).Padding(0, 1),
		DialogTitle: lipgloss.NewStyle().Bold(true).Underline(true),
		StatusBar:   lipgloss.NewStyle().Reverse(true),
		StatusKey:   lipgloss.NewStyle().Bold(true),
		Warning:     lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
	}
}
