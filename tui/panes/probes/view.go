package probes

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	gp "github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/sparkline"
)

// Fixed column widths; the sparkline and the detail share what is left.
const (
	wStatus    = 7
	wProbe     = 16
	wTarget    = 18
	wValue     = 15
	wThreshold = 16
	wDetailMin = 20
	wDetailMax = 44
	wTrendMin  = 10
)

// Badge is the status word of a row: it carries the verdict on its own,
// without colour.
func Badge(s *common.Styles, st gp.Status) string {
	switch st {
	case gp.StatusOK:
		return s.OK.Render("ok")
	case gp.StatusBreach:
		return s.Breach.Render("BREACH")
	case gp.StatusError:
		return s.Error.Render("error")
	default:
		return s.Pending.Render("pending")
	}
}

// Rows is how many lines the pane wants to show every row: a row takes a
// line per threshold, so that every threshold shows whole.
func (m *Model) Rows() int {
	n := 0
	for _, r := range m.rows {
		n += len(thresholdLines(r.reading.Threshold))
	}
	return n
}

// thresholdLines splits a reading's thresholds ("p99 < 50ms, success >=
// 99%") one per line, each wrapped to the column's width, never cut.
func thresholdLines(thr string) []string {
	var out []string
	for _, t := range strings.Split(thr, ", ") {
		for ansi.StringWidth(t) > wThreshold {
			r := []rune(t)
			out = append(out, string(r[:wThreshold]))
			t = string(r[wThreshold:])
		}
		out = append(out, t)
	}
	return out
}

// View implements tea.Model.
func (m *Model) View() string {
	s := m.Styles
	inner := m.Width - 2
	rest := inner - (wStatus + wProbe + wTarget + wValue + wThreshold + 6)
	detail := min(wDetailMax, max(wDetailMin, rest/2))
	trend := rest - detail - 1
	if trend < wTrendMin {
		trend, detail = 0, rest
	}
	visible := max(0, m.Height-3)
	m.clampScroll(visible)
	blank := strings.Repeat(" ", wStatus+wProbe+wTarget+wValue+4)
	if trend > 0 {
		blank += strings.Repeat(" ", trend+1)
	}

	body := make([]string, 0, visible+1)
	cols := func(st, probe, target, value, spark, thr, det string) string {
		var b strings.Builder
		b.WriteString(common.Fit(st, wStatus))
		b.WriteByte(' ')
		b.WriteString(common.Fit(probe, wProbe))
		b.WriteByte(' ')
		b.WriteString(common.Fit(target, wTarget))
		b.WriteByte(' ')
		b.WriteString(common.Fit(value, wValue))
		b.WriteByte(' ')
		if trend > 0 {
			b.WriteString(common.Fit(spark, trend))
			b.WriteByte(' ')
		}
		b.WriteString(common.Fit(thr, wThreshold))
		b.WriteByte(' ')
		b.WriteString(common.Fit(det, detail))
		return b.String()
	}
	trendTitle := ""
	per := 1
	if trend > 0 {
		// The sparkline spans up to ten minutes of readings; when the cells
		// are fewer than the readings, each cell shows the worst of its
		// slice. Early in a session it spans what there is.
		span := 1
		for _, r := range m.rows {
			span = max(span, r.hist.Len())
		}
		per = (span + trend - 1) / trend
		trendTitle = "LAST " + common.Duration(time.Duration(min(per*trend, History))*time.Second)
	}
	body = append(body, s.Header.Render(cols("STATUS", "PROBE", "TARGET", "VALUE", trendTitle, "THRESHOLD", "DETAIL")))
	now := m.Now()
	lines := 0
	for i := m.offset; i < len(m.rows) && lines < visible; i++ {
		r := m.rows[i]
		rd := r.reading
		m.scratch = r.hist.Buckets(m.scratch[:0], trend, per)
		det := rd.Detail
		flashing := now.Before(r.flashUntil)
		if flashing {
			det = "SWITCHED " + r.switched
		}
		thr := thresholdLines(rd.Threshold)
		row := []string{cols(Badge(s, rd.Status), rd.Probe, rd.Target, value(rd),
			sparkline.Render(m.scratch, trend, 1), thr[0], det)}
		for _, t := range thr[1:] {
			row = append(row, blank+common.Fit(t, wThreshold)+" "+strings.Repeat(" ", detail))
		}
		for _, line := range row {
			switch {
			case lines >= visible:
				continue
			case flashing:
				line = s.Flash.Render(line)
			case m.Focused && i == m.cursor:
				line = s.Selected.Render(line)
			}
			body = append(body, line)
			lines++
		}
	}
	if len(m.rows) == 0 {
		body = append(body, s.Dim.Render("no probes yet — waiting for the first readings"))
	}
	ok, br, er, pe := m.Counts()
	title := fmt.Sprintf("Probes  %d ok · %d BREACH · %d error · %d pending", ok, br, er, pe)
	return s.Frame(title, body, m.Width, m.Height, m.Focused)
}

// value is the headline of a reading: the agreed master for Sentinel rows,
// otherwise the number with its unit.
func value(rd gp.Reading) string {
	switch {
	case rd.Status == gp.StatusPending && rd.Time.IsZero():
		return "—"
	case rd.Master != "":
		return rd.Master
	case rd.Status == gp.StatusError && rd.Count == 0 && rd.Value == 0:
		return "—"
	}
	v := common.Number(rd.Value)
	if rd.Unit != "" {
		if rd.Unit == "%" {
			return v + "%"
		}
		return v + " " + rd.Unit
	}
	return v
}

// clampScroll keeps the cursor's row in view; rows may take several lines.
func (m *Model) clampScroll(visible int) {
	if m.cursor >= len(m.rows) {
		m.cursor = max(0, len(m.rows)-1)
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	height := func(i int) int { return len(thresholdLines(m.rows[i].reading.Threshold)) }
	// Scroll down until the cursor's row fits below the offset.
	for m.offset < m.cursor {
		used := 0
		for i := m.offset; i <= m.cursor; i++ {
			used += height(i)
		}
		if used <= visible {
			break
		}
		m.offset++
	}
	// Use the room at the bottom: pull earlier rows in while they fit.
	for m.offset > 0 {
		used := 0
		for i := m.offset - 1; i < len(m.rows); i++ {
			used += height(i)
		}
		if used > visible {
			break
		}
		m.offset--
	}
}
