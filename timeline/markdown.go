package timeline

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteMarkdown writes the report a team pastes into its wiki: header and
// verdict, operator notes, hypothesis table, one section per fault, a Mermaid
// gantt chart of faults and breaches, Mermaid charts of p99, and the full
// event table. The output depends only on events and opts.
func WriteMarkdown(w io.Writer, events []Event, opts ReportOptions) error {
	return BuildReport(events, opts).WriteMarkdown(w)
}

// WriteMarkdown renders r as markdown.
func (r *Report) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	m := &mdWriter{w: bw, r: r, multiDay: r.Start.YearDay() != r.End.YearDay() || r.Start.Year() != r.End.Year()}
	m.header()
	m.notes()
	m.hypothesis()
	m.faults()
	m.gantt()
	m.p99()
	m.events()
	if m.err != nil {
		return m.err
	}
	return bw.Flush()
}

type mdWriter struct {
	w        *bufio.Writer
	r        *Report
	multiDay bool
	err      error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// section writes a heading and, when the section has no items, the sentence
// saying so; it reports whether there is anything to write.
func (m *mdWriter) section(title string, items int, empty string) bool {
	m.printf("## %s\n\n", title)
	if items == 0 {
		m.printf("%s\n\n", empty)
	}
	return items > 0
}

func (m *mdWriter) header() {
	r := m.r
	m.printf("# %s\n\n", cell(r.Title))
	m.printf("| | |\n|---|---|\n")
	if !r.Start.IsZero() {
		m.printf("| Date | %s |\n", r.Start.Format("2006-01-02"))
		m.printf("| Start | %s UTC |\n", r.Start.Format("15:04:05"))
		m.printf("| Duration | %s |\n", r.Duration.Duration().Round(100*time.Millisecond))
	}
	m.printf("| Inventory | %s |\n", orDash(cell(r.Inventory)))
	if r.Runbook != "" {
		m.printf("| Runbook | %s |\n", cell(r.Runbook))
	}
	verdict := "**" + cell(r.Verdict) + "**"
	if r.Reason != "" {
		verdict += " — " + cell(r.Reason)
	}
	m.printf("| Verdict | %s |\n", verdict)
	m.printf("| Faults | %d |\n", len(r.Faults))
	m.printf("| Operator notes | %d |\n", len(r.Notes))
	m.printf("| Events | %d |\n", len(r.Events))
	if r.Journal != "" {
		m.printf("| Journal | `%s` |\n", cell(r.Journal))
	}
	m.printf("\n")
	for _, w := range r.Warnings {
		m.printf("> **Warning:** %s\n\n", cell(w))
	}
}

func (m *mdWriter) notes() {
	if !m.section("Operator notes", len(m.r.Notes), "No notes were taken.") {
		return
	}
	for _, n := range m.r.Notes {
		m.printf("- %s (%s) — %s\n", rel(n.At, false), m.abs(n.Time, false), cell(n.Summary))
	}
	m.printf("\n")
}

func (m *mdWriter) hypothesis() {
	if !m.section("Hypothesis", len(m.r.Hypothesis), "No hypothesis was recorded ("+cell(m.r.Verdict)+").") {
		return
	}
	m.printf("| Condition | Result | Worst |\n|---|---|---|\n")
	for _, c := range m.r.Hypothesis {
		result := "held"
		if !c.Held {
			result = "**deviated**"
		}
		m.printf("| %s | %s | %s |\n", cell(c.Condition), result, orDash(cell(c.Worst)))
	}
	m.printf("\n")
}

func (m *mdWriter) faults() {
	if !m.section("Faults", len(m.r.Faults), "No faults were armed.") {
		return
	}
	for i, f := range m.r.Faults {
		m.printf("### %d. %s on %s\n\n", i+1, orDash(cell(f.Kind)), orDash(cell(strings.Join(f.Hosts, ", "))))
		m.printf("| | |\n|---|---|\n")
		if f.ID != "" {
			m.printf("| Fault | `%s` |\n", cell(f.ID))
		}
		m.printf("| Hosts | %s |\n", orDash(cell(strings.Join(f.Hosts, ", "))))
		ps := make([]string, len(f.Params))
		for j, p := range f.Params {
			ps[j] = "`" + strings.ReplaceAll(cell(p.Name+"="+p.Value), "`", "'") + "`"
		}
		m.printf("| Parameters | %s |\n", orDash(strings.Join(ps, " ")))
		if f.ArmedAt != nil {
			m.printf("| Armed | %s |\n", m.at(f.ArmedAt))
		} else {
			m.printf("| Armed | never — arming began at %s |\n", m.at(f.ArmingAt))
		}
		switch {
		case f.EndedAt != nil:
			m.printf("| %s | %s |\n", capitalize(f.State), m.at(f.EndedAt))
		case f.State == "failed":
			m.printf("| Failed | %s |\n", orDash(cell(f.Error)))
		default:
			m.printf("| Reverted | not by the end of the journal |\n")
		}
		if f.Error != "" && f.EndedAt != nil {
			m.printf("| Error | %s |\n", cell(f.Error))
		}
		detect := "no breach"
		if f.TimeToDetect != nil {
			detect = fmt.Sprintf("%s (%s)", f.TimeToDetect.Duration(), cell(f.DetectedBy))
		}
		m.printf("| Time to detect | %s |\n", detect)
		recover := "—"
		switch {
		case f.TimeToRecover != nil:
			recover = f.TimeToRecover.Duration().String()
		case len(f.Breached) == 0:
			recover = "nothing to recover from"
		case f.EndedAt != nil:
			recover = "not recovered by the end of the journal"
		}
		m.printf("| Time to recover | %s |\n", recover)
		m.printf("| Probes breached | %s |\n", orDash(cell(strings.Join(f.Breached, ", "))))
		m.printf("| Worst p99 | %s |\n", latency(f.Latency))
		m.printf("| Max lag | %s |\n", measure(f.MaxLag, "%.0f messages"))
		m.printf("| Min QUORUM success | %s |\n", measure(f.MinQuorum, "%.2f %%"))
		m.printf("| Master changes | %d |\n\n", f.MasterChanges)
	}
}

func (m *mdWriter) events() {
	if !m.section("Events", len(m.r.Events), "The journal holds no events.") {
		return
	}
	m.printf("| +Time | Time (UTC) | Kind | Source | Host | Summary |\n|---|---|---|---|---|---|\n")
	for _, e := range m.r.Events {
		summary := cell(e.Summary)
		if e.Kind == Note {
			summary = "**" + summary + "**"
		}
		m.printf("| %s | %s | %s | %s | %s | %s |\n", rel(e.At, true), m.abs(e.Time, true),
			cell(string(e.Kind)), cell(e.Source), cell(e.Host), summary)
	}
}

// at renders an offset from the start as "+1:05 (08:31:05)".
func (m *mdWriter) at(s *Seconds) string {
	if s == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%s)", rel(*s, false), m.abs(m.r.Start.Add(s.Duration()), false))
}

func (m *mdWriter) abs(t time.Time, ms bool) string {
	layout := "15:04:05"
	if ms {
		layout += ".000"
	}
	if m.multiDay {
		layout = "2006-01-02 " + layout
	}
	return t.UTC().Format(layout)
}

// rel renders an offset as "+m:ss" or "+h:mm:ss", with milliseconds if ms.
func rel(s Seconds, ms bool) string {
	d := s.Duration()
	if !ms {
		d = d.Truncate(time.Second)
	}
	h, mnt := int(d/time.Hour), int(d%time.Hour/time.Minute)
	sec := d % time.Minute
	secs := fmt.Sprintf("%02d", int(sec/time.Second))
	if ms {
		secs = fmt.Sprintf("%06.3f", sec.Seconds())
	}
	if h > 0 {
		return fmt.Sprintf("+%d:%02d:%s", h, mnt, secs)
	}
	return fmt.Sprintf("+%d:%s", mnt, secs)
}

// latency renders each latency probe's worst p99 during a fault:
// "redis.latency redis 512.0 ms (+0:34), 3 windows not measurable; …".
func latency(ls []LatencyImpact) string {
	var parts []string
	for _, l := range ls {
		var p string
		if l.WorstP99 != nil {
			p = fmt.Sprintf("%s %.1f ms (%s)", cell(l.Probe), *l.WorstP99, rel(*l.At, false))
		} else if l.Unmeasured > 0 {
			p = cell(l.Probe) + " no measurement"
		}
		if l.Unmeasured > 0 {
			p += fmt.Sprintf(", %d windows not measurable", l.Unmeasured)
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	return orDash(strings.Join(parts, "; "))
}

func measure(v *Measure, format string) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format+" (%s, %s)", v.Value, cell(v.Probe), rel(v.At, false))
}

// cell makes text safe inside a markdown table cell: one line, no pipes, no
// HTML.
func cell(s string) string {
	return cellReplacer.Replace(strings.TrimSpace(s))
}

var cellReplacer = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;")

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// chartNumber formats a chart value with one decimal, the same everywhere.
func chartNumber(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
