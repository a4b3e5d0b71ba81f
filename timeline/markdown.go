package timeline

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteMarkdown writes the report a team pastes into its wiki: first a
// summary a manager can read (hypothesis, each fault in one line, notes),
// then the details — header, hypothesis, each fault's figures, a Mermaid
// gantt chart of faults and breaches, each probe's windows summarised and
// charted, and the table of significant events. The output depends only on
// events and opts.
func WriteMarkdown(w io.Writer, events []Event, opts ReportOptions) error {
	return BuildReport(events, opts).WriteMarkdown(w)
}

// WriteMarkdown renders r as markdown.
func (r *Report) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	m := &mdWriter{w: bw, r: r, multiDay: r.Start.YearDay() != r.End.YearDay() || r.Start.Year() != r.End.Year()}
	m.summary()
	m.header()
	m.hypothesis()
	m.faults()
	m.gantt()
	m.probes()
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

// summary is the first screen: what a manager reads.
func (m *mdWriter) summary() {
	r := m.r
	m.printf("# %s\n\n", cell(r.Title))
	when := "—"
	if !r.Start.IsZero() {
		when = fmt.Sprintf("%s %s UTC, %s", r.Start.Format("2006-01-02"), r.Start.Format("15:04"),
			r.Duration.Duration().Round(time.Second))
	}
	m.printf("%s · inventory %s · %s · %s\n\n", when, orDash(cell(r.Inventory)),
		plural(len(r.Faults), "%d faults", "1 fault"), plural(len(r.Notes), "%d notes", "1 note"))
	for _, w := range r.Warnings {
		m.printf("> **Warning:** %s\n\n", cell(w))
	}
	switch r.Verdict {
	case VerdictHeld:
		m.printf("**The hypothesis held.**")
	case VerdictDeviated:
		m.printf("**The hypothesis did not hold.**")
	case VerdictAborted:
		m.printf("**The runbook was aborted.**")
	case NoRunbook:
		m.printf("No runbook: no hypothesis was tested.")
	default:
		m.printf("**%s.**", capitalize(cell(r.Verdict)))
	}
	if r.Reason != "" {
		m.printf(" %s", cell(r.Reason))
	}
	m.printf("\n\n")
	if len(r.Faults) > 0 {
		m.printf("Faults:\n\n")
		for i, f := range r.Faults {
			m.printf("%d. **%s** on %s at %s — %s\n", i+1, orDash(cell(f.Kind)), orDash(cell(strings.Join(f.Hosts, ", "))),
				rel(f.StartAt, false), cell(strings.Join(f.Figures(), " · ")))
		}
		m.printf("\n")
	}
	if len(r.Notes) > 0 {
		m.printf("Notes:\n\n")
		for _, n := range r.Notes {
			by := ""
			if n.By != "" {
				by = " (" + cell(n.By) + ")"
			}
			review := ""
			if n.IsReviewNote() {
				review = "review note: "
			}
			m.printf("- %s — %s%s%s\n", rel(n.At, false), review, cell(n.Summary), by)
		}
		m.printf("\n")
	}
}

func (m *mdWriter) header() {
	r := m.r
	m.printf("## Details\n\n")
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
	if len(r.Services) > 0 {
		var svcs []string
		for _, s := range r.Services {
			svcs = append(svcs, fmt.Sprintf("%s/%s on %s", s.Kind, s.Name, strings.Join(s.Hosts, ", ")))
		}
		m.printf("| Services | %s |\n", cell(strings.Join(svcs, "; ")))
	}
	m.printf("| Faults | %d |\n", len(r.Faults))
	m.printf("| Operator notes | %d |\n", len(r.Notes))
	total := 0
	for _, n := range r.Counts {
		total += n
	}
	m.printf("| Events | %d (%d probe windows, summarised below) |\n", total, r.Counts[ProbeWindow])
	if r.Journal != "" {
		m.printf("| Journal | `%s` |\n", cell(r.Journal))
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
		ps := make([]string, len(f.Params))
		for j, p := range f.Params {
			ps[j] = "`" + strings.ReplaceAll(cell(p.Name+"="+p.Value), "`", "'") + "`"
		}
		m.printf("| Parameters | %s |\n", orDash(strings.Join(ps, " ")))
		switch f.Attribution {
		case "membership":
			m.printf("| Services on its hosts | %s |\n", orDash(cell(strings.Join(f.Services, ", "))))
		case "host names":
			m.printf("| Services on its hosts | %s (guessed from the host names: the journal predates recorded membership) |\n", cell(strings.Join(f.Services, ", ")))
		default:
			m.printf("| Services on its hosts | unknown: every probe counts |\n")
		}
		m.printf("| Started | %s |\n", m.at(&f.StartAt))
		if f.ArmedAt != nil {
			m.printf("| Armed (verified) | %s |\n", m.at(f.ArmedAt))
		} else {
			m.printf("| Armed | never |\n")
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
		if fl := f.Flap; fl != nil {
			failed := ""
			if fl.Failed > 0 {
				failed = fmt.Sprintf(", %d toggle(s) did not verify", fl.Failed)
			}
			m.printf("| Flap (verified toggles) | %d cuts, %d heals%s |\n", fl.Cuts, fl.Heals, failed)
		}
		m.faultFigures(&f)
		m.printf("\n")
	}
}

// faultFigures writes the figure rows of one fault's table.
func (m *mdWriter) faultFigures(f *FaultReport) {
	detect := "no alarm from its services"
	if f.TimeToDetect != nil {
		var by []string
		for _, d := range f.Detections {
			by = append(by, fmt.Sprintf("%s %s", d.Probe, Took(d.After)))
		}
		detect = fmt.Sprintf("%s (%s)", Took(*f.TimeToDetect), strings.Join(by, ", "))
	}
	m.printf("| Time to detect | %s |\n", cell(detect))
	if len(f.NotCredited) > 0 {
		m.printf("| Not credited (alarmed in the minute before) | %s |\n", cell(strings.Join(f.NotCredited, ", ")))
	}
	for _, rf := range f.Redis {
		if rf.Failover == nil && !rf.ClientAlarm {
			continue
		}
		name := ofService(rf.Service)
		if rf.Failover != nil {
			m.printf("| Failover%s | %s to +switch-master (new master %s%s) |\n", name, Took(*rf.Failover), cell(rf.NewMaster),
				plural(rf.Switches, ", %d switches", ""))
		}
		ok := "not ok again by the end of the journal"
		if rf.ClientsOK != nil {
			ok = Took(*rf.ClientsOK)
		}
		if rf.ClientAlarm {
			m.printf("| Clients ok again%s | %s |\n", name, ok)
		}
	}
	for _, kf := range f.Kafka {
		if kf.LagPeak != nil && kf.LagPeak.Value > kf.LagBaseline {
			drain := "not drained by the end of the journal"
			if kf.DrainTime != nil {
				drain = "drained in " + Took(*kf.DrainTime)
			}
			m.printf("| Consumer lag%s | peak %s after %s (before: %s), %s |\n", ofService(kf.Service), number(kf.LagPeak.Value),
				Took(kf.LagPeak.At), number(kf.LagBaseline), drain)
		}
		if kf.LeaderMoves > 0 {
			m.printf("| Leader moves%s | %d |\n", ofService(kf.Service), kf.LeaderMoves)
		}
	}
	for _, cf := range f.Cassandra {
		if cf.MinSuccess == nil || cf.MinSuccess.Value >= cf.Baseline {
			continue
		}
		dip := "not back by the end of the journal"
		if cf.Dip != nil {
			dip = "for " + Took(*cf.Dip)
		}
		m.printf("| QUORUM success%s | down to %s %% after %s (before: %s %%), %s |\n", ofService(cf.Service),
			number(cf.MinSuccess.Value), Took(cf.MinSuccess.At), number(cf.Baseline), dip)
	}
	heal := "—"
	switch {
	case f.TimeToSelfHeal != nil:
		heal = Took(*f.TimeToSelfHeal)
	case f.TimeToDetect != nil && f.EndedAt != nil:
		heal = "no: its probes were ok again only after it ended"
	}
	m.printf("| Time to self-heal | %s |\n", heal)
	recover := "—"
	switch {
	case f.TimeToRecover != nil:
		recover = Took(*f.TimeToRecover)
		if f.TimeToSelfHeal != nil {
			recover += " (already self-healed)"
		}
	case f.TimeToDetect == nil:
		recover = "nothing to recover from"
	case f.EndedAt != nil:
		recover = "not recovered by the end of the journal"
	}
	m.printf("| Time to recover | %s |\n", recover)
	for _, im := range f.Impact {
		m.printf("| Worst of %s | %s |\n", cell(im.Probe), impact(im))
	}
	if len(f.AlsoSeen) > 0 {
		var also []string
		for _, d := range f.AlsoSeen {
			also = append(also, fmt.Sprintf("%s %s", d.Probe, Took(d.After)))
		}
		m.printf("| Also seen (other services, not credited) | %s |\n", cell(strings.Join(also, ", ")))
	}
}

// ofService renders " (name)" for a named service, "" otherwise.
func ofService(name string) string {
	if name == "" {
		return ""
	}
	return " (" + cell(name) + ")"
}

// plural formats n with many unless n is 1, where it writes one.
func plural(n int, many, one string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

// impact renders one probe's worst values during a fault.
func impact(im ProbeImpact) string {
	var parts []string
	if im.WorstP99 != nil {
		parts = append(parts, fmt.Sprintf("p99 %s ms after %s", number(im.WorstP99.Value), Took(im.WorstP99.At)))
	}
	if im.Min != nil && im.Max != nil && im.WorstP99 == nil {
		parts = append(parts, fmt.Sprintf("%s–%s %s", number(im.Min.Value), number(im.Max.Value), cell(im.Unit)))
	}
	if im.Unmeasured > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d windows not measurable", im.Unmeasured, im.Windows))
	}
	return orDash(strings.TrimSpace(strings.Join(parts, ", ")))
}

// events writes the significant events, repeats merged.
func (m *mdWriter) events() {
	if !m.section("Events", len(m.r.Rows), "The journal holds no significant events.") {
		return
	}
	m.printf("Probe windows are summarised above; the JSON export (`--format json`) has every event.\n\n")
	m.printf("| +Time | Time (UTC) | Kind | Source | Host | Summary |\n|---|---|---|---|---|---|\n")
	for _, e := range m.r.Rows {
		summary := cell(e.Summary)
		if e.Kind == Note {
			summary = "**" + summary + "**"
		}
		if e.By != "" {
			summary += " (" + cell(e.By) + ")"
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
