package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-dev/gameday/tui/common"
)

// Minimum terminal size the layout is designed for.
const (
	MinWidth  = 100
	MinHeight = 30
	// wideWidth is where the timeline moves beside the palette and the
	// armed faults instead of below them.
	wideWidth = 160
)

func (m *Model) tooSmall() bool { return m.c.Width < MinWidth || m.c.Height < MinHeight }

// resize lays the panes out for a w×h terminal, as the mode arranges
// them: probes on top, the middle row, the timeline, the band.
func (m *Model) resize(w, h int) {
	m.c.Width, m.c.Height = w, h
	l := m.mode.layout(m)
	for _, p := range m.panes {
		p.SetCommon(m.c)
	}
	if l.band != nil {
		l.band.SetCommon(m.c)
	}
	m.status.SetCommon(m.c)
	if m.tooSmall() {
		return
	}
	body := h - 2 - l.bandRows // footer and status bar, and the band
	if l.band != nil {
		l.band.SetSize(w, l.bandRows)
	}
	probesH := min(max(5, m.probes.Rows()+3), body/2)
	rest := body - probesH
	m.probes.SetSize(w, probesH)
	if w >= wideWidth {
		left := w * 2 / 5
		y := 0
		for i, p := range l.middle {
			ph := rest - y // the last takes what is left
			if i < len(l.middle)-1 {
				ph = min(l.midRows, rest/2)
			}
			p.SetSize(left, ph)
			y += ph
		}
		m.timeline.SetSize(w-left, rest)
		return
	}
	midH := min(l.midRows, rest/2)
	x := 0
	for i, p := range l.middle {
		pw := w - x // the last takes what is left
		if i < len(l.middle)-1 {
			pw = max(36, w*2/7)
		}
		p.SetSize(pw, midH)
		x += pw
	}
	m.timeline.SetSize(w, rest-midH)
}

// View implements tea.Model.
func (m *Model) View() string {
	w, h := m.c.Width, m.c.Height
	if w == 0 {
		return ""
	}
	if m.tooSmall() {
		msg := fmt.Sprintf("terminal too small (need %d×%d, have %d×%d)\nenlarge the window, or press q to quit", MinWidth, MinHeight, w, h)
		return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, msg)
	}
	l := m.mode.layout(m)
	middle := make([]string, len(l.middle))
	for i, p := range l.middle {
		middle[i] = p.View()
	}
	var main string
	if w >= wideWidth {
		left := lipgloss.JoinVertical(lipgloss.Left, middle...)
		main = lipgloss.JoinVertical(lipgloss.Left, m.probes.View(),
			lipgloss.JoinHorizontal(lipgloss.Top, left, m.timeline.View()))
	} else {
		main = lipgloss.JoinVertical(lipgloss.Left, m.probes.View(),
			lipgloss.JoinHorizontal(lipgloss.Top, middle...),
			m.timeline.View())
	}
	if l.band != nil {
		main += "\n" + l.band.View()
	}
	m.status.Armed = m.armed.Count()
	screen := main + "\n" + common.Fit(m.footer(), w) + "\n" + m.status.View()
	if m.dialog != nil {
		screen = overlay(screen, m.dialog.View(), w, h)
	}
	return screen
}

// footer is the keys line the mode shows.
func (m *Model) footer() string {
	return " " + common.KeyLine(m.c, m.mode.footer(m))
}

// overlay centres box over screen, replacing what is beneath it.
func overlay(screen, box string, w, h int) string {
	lines := strings.Split(screen, "\n")
	bl := strings.Split(box, "\n")
	if len(bl) > h {
		bl = bl[:h]
	}
	bw := 0
	for _, l := range bl {
		bw = max(bw, ansi.StringWidth(l))
	}
	bw = min(bw, w)
	x := max(0, (w-bw)/2)
	y := max(0, (len(lines)-len(bl))/2)
	for i, l := range bl {
		j := y + i
		if j >= len(lines) {
			break
		}
		bg := lines[j]
		lines[j] = ansi.Truncate(bg, x, "") + common.Fit(l, bw) + ansi.TruncateLeft(bg, x+bw, "")
	}
	return strings.Join(lines, "\n")
}
