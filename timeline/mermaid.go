package timeline

import (
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
			m.printf("    %s :crit, f%d, %s\n", taskName(f.Kind+" "+strings.Join(f.Hosts, ",")), i+1, m.span(*f.ArmingAt, *end))
		}
	}
	if len(r.Breaches) > 0 {
		m.printf("    section Breaches\n")
		for i, b := range r.Breaches[:min(len(r.Breaches), maxGanttBreaches)] {
			end := b.To
			if end == nil {
				end = &r.Duration
			}
			m.printf("    %s :active, b%d, %s\n", taskName(b.Probe+" "+b.Status), i+1, m.span(b.From, *end))
		}
	}
	m.printf("```\n\n")
	if n := len(r.Breaches) - maxGanttBreaches; n > 0 {
		m.printf("The chart shows the first %d breaches; %d more are in the event table.\n\n", maxGanttBreaches, n)
	}
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

// p99 draws one Mermaid xychart per probe series. The x axis is numeric
// (seconds since start) and xychart spaces values evenly over it, so every
// step between the first and last point gets a value; a step without a
// window repeats the previous value.
func (m *mdWriter) p99() {
	if !m.section("p99 over time", len(m.r.P99), "No probe reported a p99.") {
		return
	}
	for _, s := range m.r.P99 {
		firstP, lastP := s.Points[0], s.Points[len(s.Points)-1]
		first, last := float64(firstP.At), float64(lastP.At)
		n := lastP.step - firstP.step + 1
		filled := make([]bool, n)
		raw := make([]float64, n)
		for _, p := range s.Points {
			i := p.step - firstP.step
			raw[i], filled[i] = p.Value, true
		}
		values := make([]string, n)
		for i := range raw {
			if !filled[i] {
				raw[i] = raw[i-1] // the first step is always filled
			}
			values[i] = chartNumber(raw[i])
		}
		if len(values) == 1 { // a line needs two points
			values = append(values, values[0])
			last += float64(s.Step)
		}
		m.printf("```mermaid\nxychart-beta\n")
		m.printf("    title \"p99 of %s (ms)\"\n", quoteless(s.Probe))
		m.printf("    x-axis \"seconds since start\" %s --> %s\n",
			chartNumber(first), chartNumber(last))
		m.printf("    y-axis \"p99 (ms)\"\n")
		m.printf("    line [%s]\n```\n\n", strings.Join(values, ", "))
	}
}

func quoteless(s string) string {
	return strings.NewReplacer(`"`, "'", "\n", " ", "\r", " ").Replace(ScrubText(s))
}
