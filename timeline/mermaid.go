package timeline

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// mermaidDate is the gantt dateFormat below, in Go's notation. A full date
// keeps sessions across midnight in order; Mermaid parses it as local time
// and the axis prints it back the same way, so the viewer's time zone does
// not shift the labels.
const mermaidDate = "2006-01-02 15:04:05"

// gantt draws faults and breach spans on one time axis.
func (m *mdWriter) gantt() {
	r := m.r
	if !m.section("Faults and breaches", len(r.Faults)+len(r.Breaches), "Nothing to chart: no faults and no breaches.") {
		return
	}
	m.printf("```mermaid\ngantt\n    title Faults and breaches (UTC)\n")
	m.printf("    dateFormat YYYY-MM-DD HH:mm:ss\n    axisFormat %%H:%%M:%%S\n")
	if len(r.Faults) > 0 {
		m.printf("    section Faults\n")
		for i, f := range r.Faults {
			end := f.EndedAt
			if end == nil {
				end = &r.Duration
			}
			m.printf("    %s :crit, f%d, %s\n", taskName(f.Kind+" "+strings.Join(f.Hosts, ",")), i+1, m.span(f.StartAt, *end))
		}
	}
	bars := ganttBars(r.Breaches, r.Duration)
	if len(bars) > 0 {
		m.printf("    section Breaches\n")
		for i, b := range bars[:min(len(bars), maxGanttBreaches)] {
			m.printf("    %s :active, b%d, %s\n", taskName(b.name), i+1, m.span(b.from, b.to))
		}
	}
	m.printf("```\n\n")
	if n := len(bars) - maxGanttBreaches; n > 0 {
		m.printf("The chart shows the first %d breaches; %d more are in the event table.\n\n", maxGanttBreaches, n)
	}
}

// ganttBar is one bar of the breaches section.
type ganttBar struct {
	name     string
	from, to Seconds
}

// ganttBars turns breach spans into bars, a probe's spans less than
// FlapGap apart drawn as one "flapping" bar: a flapping probe would
// otherwise fill the chart.
func ganttBars(spans []BreachSpan, end Seconds) []ganttBar {
	type run struct {
		bar   ganttBar
		n     int
		first BreachSpan
	}
	var (
		bars []ganttBar
		open = map[string]*run{}
	)
	flush := func(r *run) {
		if r.n == 1 {
			r.bar.name = r.first.Probe + " " + r.first.Status
		} else {
			r.bar.name = fmt.Sprintf("%s flapping (%d breaches)", r.first.Probe, r.n)
		}
		bars = append(bars, r.bar)
	}
	gap := secondsOf(FlapGap)
	for _, s := range spans {
		to := end
		if s.To != nil {
			to = *s.To
		}
		if r := open[s.Probe]; r != nil && s.From-r.bar.to <= gap {
			r.bar.to, r.n = max(r.bar.to, to), r.n+1
			continue
		} else if r != nil {
			flush(r)
		}
		open[s.Probe] = &run{bar: ganttBar{from: s.From, to: to}, n: 1, first: s}
	}
	for _, r := range open {
		flush(r)
	}
	slices.SortStableFunc(bars, func(x, y ganttBar) int {
		if c := cmp.Compare(x.from, y.from); c != 0 {
			return c
		}
		return strings.Compare(x.name, y.name)
	})
	return bars
}

// maxGanttBreaches keeps a flapping probe from turning the chart into a wall
// of bars that no longer renders legibly.
const maxGanttBreaches = 100

// span renders "START, END" for a gantt task, at least a second long so
// that Mermaid draws it.
func (m *mdWriter) span(from, to Seconds) string {
	a := m.r.Start.Add(from.Duration()).Truncate(time.Second)
	b := m.r.Start.Add(to.Duration()).Truncate(time.Second)
	if !b.After(a) {
		b = a.Add(time.Second)
	}
	return a.Format(mermaidDate) + ", " + b.Format(mermaidDate)
}

// taskName strips what Mermaid's gantt grammar reads as syntax from a task
// title: ':' starts the task data, '#' and ';' end statements.
func taskName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ':', '#', ';', '\n', '\r', '%':
			return ' '
		}
		return r
	}, ScrubText(s))
	if s = strings.TrimSpace(s); s == "" {
		return "unnamed"
	}
	return s
}

// probes writes, for each probe, a table of its windows by step (lowest,
// median and highest headline value, breaches, errors) and a Mermaid
// xychart of the value. The chart's x axis is numeric and xychart spaces
// values evenly over it, which the chart's points are (two per step).
func (m *mdWriter) probes() {
	if !m.section("Probes", len(m.r.Probes), "No probe reported a window.") {
		return
	}
	for _, p := range m.r.Probes {
		unit := cell(p.Unit)
		m.printf("### %s\n\n", cell(p.Probe))
		m.printf("%d windows, %d in breach, %d could not measure; one row per %s.\n\n",
			p.Windows, p.BreachWindows, p.ErrorWindows, p.Step.Duration())
		m.printf("| From | Windows | Min | Median | Max | Breach | Errors |\n|---|---|---|---|---|---|---|\n")
		for _, b := range p.Buckets {
			if b.Windows == b.Errors {
				m.printf("| %s | %d | — | — | — | %d | %d |\n", rel(b.From, false), b.Windows, b.Breach, b.Errors)
				continue
			}
			m.printf("| %s | %d | %s | %s | %s | %d | %d |\n", rel(b.From, false), b.Windows,
				withUnit(b.Min, unit), withUnit(b.Median, unit), withUnit(b.Max, unit), b.Breach, b.Errors)
		}
		m.printf("\n")
		m.chart(p)
	}
}

func withUnit(v float64, unit string) string {
	if unit == "" {
		return number(v)
	}
	return number(v) + " " + unit
}

// chart draws one probe's chart.
func (m *mdWriter) chart(p ProbeSummary) {
	if len(p.Chart) == 0 {
		return
	}
	values := make([]string, len(p.Chart))
	for i, c := range p.Chart {
		values[i] = chartNumber(c.Value)
	}
	first, last := float64(p.Chart[0].At), float64(p.Chart[len(p.Chart)-1].At)
	if len(values) == 1 { // a line needs two points
		values = append(values, values[0])
	}
	if p.ChartStep > 0 {
		last += float64(p.ChartStep)
	}
	if last <= first {
		last = first + 1
	}
	axis, scale := "seconds since start", 1.0
	if last > 600 {
		axis, scale = "minutes since start", 60
	}
	unit := p.Unit
	if unit == "" {
		unit = "value"
	}
	m.printf("```mermaid\nxychart-beta\n")
	m.printf("    title \"%s (%s)\"\n", quoteless(p.Probe), quoteless(unit))
	m.printf("    x-axis \"%s\" %s --> %s\n", axis, chartNumber(first/scale), chartNumber(last/scale))
	m.printf("    y-axis \"%s\"\n", quoteless(unit))
	m.printf("    line [%s]\n```\n\n", strings.Join(values, ", "))
}

func quoteless(s string) string {
	return strings.NewReplacer(`"`, "'", "\n", " ", "\r", " ").Replace(ScrubText(s))
}
