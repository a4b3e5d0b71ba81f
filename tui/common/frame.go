package common

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Frame draws body inside a border of exactly width×height cells with title
// set into the top edge. The focused pane gets a heavy border and a "▶"
// before its title, which reads without colour too. Body lines are cut or
// padded to fit, so a pane can never push the layout around.
func (s *Styles) Frame(title string, body []string, width, height int, focused bool) string {
	if width < 4 || height < 2 {
		return ""
	}
	st, ts, fg := s.Pane, s.Title, s.Border
	if focused {
		st, ts, fg = s.PaneFocused, s.TitleFocus, s.BorderFocused
		title = "▶ " + title
	}
	b := st.GetBorderStyle()
	inner := width - 2

	var sb strings.Builder
	sb.Grow(width * height * 2)
	t := ansi.Truncate(" "+title+" ", inner-1, "…")
	rest := max(0, inner-1-ansi.StringWidth(t))
	sb.WriteString(fg.Render(b.TopLeft + b.Top))
	sb.WriteString(ts.Render(t))
	sb.WriteString(fg.Render(strings.Repeat(b.Top, rest) + b.TopRight))
	sb.WriteByte('\n')
	left, right := fg.Render(b.Left), fg.Render(b.Right)
	for i := 0; i < height-2; i++ {
		line := ""
		if i < len(body) {
			line = body[i]
		}
		sb.WriteString(left)
		sb.WriteString(Fit(line, inner))
		sb.WriteString(right)
		sb.WriteByte('\n')
	}
	sb.WriteString(fg.Render(b.BottomLeft + strings.Repeat(b.Bottom, inner) + b.BottomRight))
	return sb.String()
}

// Fit cuts or pads s (which may hold ANSI styles) to exactly w cells.
func Fit(s string, w int) string {
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}
