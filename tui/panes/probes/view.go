package probes

import (
	"fmt"
	"strings"
	"time"

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

// Rows is how many lines the pane wants to show every row.
func (m *Model) Rows() int { return len(m.rows) }

// View implements tea.Model.
func (m *Model) View() string {
	s := m.c.Styles
	inner := m.c.Width - 2
	rest := inner - (wStatus + wProbe + wTarget + wValue + wThreshold + 6)
	detail := min(wDetailMax, max(wDetailMin, rest/2))
	trend := rest - detail - 1
	if trend < wTrendMin {
		trend, detail = 0, rest
	}
	visible := max(0, m.c.Height-3)
	m.clampScroll(visible)

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
	now := m.c.Now()
	for i := m.offset; i < len(m.rows) && i < m.offset+visible; i++ {
		r := m.rows[i]
		rd := r.reading
		m.scratch = r.hist.Buckets(m.scratch[:0], trend, per)
		det := rd.Detail
		flashing := now.Before(r.flashUntil)
		if flashing {
			det = "SWITCHED " + r.switched
		}
		line := cols(Badge(s, rd.Status), rd.Probe, rd.Target, value(rd),
			sparkline.Render(m.scratch, trend, 1), rd.Threshold, det)
		switch {
		case flashing:
			line = s.Flash.Render(line)
		case m.focused && i == m.cursor:
			line = s.Selected.Render(line)
		}
		body = append(body, line)
	}
	if len(m.rows) == 0 {
		body = append(body, s.Dim.Render("no probes yet — waiting for the first readings"))
	}
	ok, br, er, pe := m.Counts()
	title := fmt.Sprintf("Probes  %d ok · %d BREACH · %d error · %d pending", ok, br, er, pe)
	return s.Frame(title, body, m.c.Width, m.c.Height, m.focused)
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

func (m *Model) clampScroll(visible int) {
	if m.cursor >= len(m.rows) {
		m.cursor = max(0, len(m.rows)-1)
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if visible > 0 && m.cursor >= m.offset+visible {
		m.offset = m.cursor - visible + 1
	}
	m.offset = max(0, min(m.offset, len(m.rows)-visible))
}
