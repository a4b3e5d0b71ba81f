package timeline

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const fixture = "testdata/gameday.jsonl"

func loadFixture(t testing.TB) []Event {
	t.Helper()
	evs, warns, err := LoadJournal(fixture)
	if err != nil || len(warns) > 0 {
		t.Fatalf("fixture: %v %v", err, warns)
	}
	return evs
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test ./timeline -run %s -update to accept):\n%s",
			path, t.Name(), firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, a, b)
		}
	}
	return "(same lines, different bytes)"
}

func TestReportGolden(t *testing.T) {
	evs := loadFixture(t)
	opts := ReportOptions{Journal: fixture}
	tests := map[string]struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		"markdown": {"gameday.md", func(b *bytes.Buffer) error { return WriteMarkdown(b, evs, opts) }},
		"json":     {"gameday.json", func(b *bytes.Buffer) error { return WriteJSON(b, evs, opts) }},
		"membership": {"membership.md", func(b *bytes.Buffer) error {
			return WriteMarkdown(b, loadMembership(t), ReportOptions{Journal: "testdata/membership.jsonl"})
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

func TestReportIgnoresMapOrder(t *testing.T) {
	evs := loadFixture(t)
	render := func(evs []Event) (string, string) {
		var md, js bytes.Buffer
		if err := WriteMarkdown(&md, evs, ReportOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&js, evs, ReportOptions{}); err != nil {
			t.Fatal(err)
		}
		return md.String(), js.String()
	}
	wantMD, wantJS := render(evs)
	for i := range 10 {
		md, js := render(loadFixture(t)) // maps are iterated in a new order each time
		if md != wantMD || js != wantJS {
			t.Fatalf("round %d: output changed with map order:\n%s\n%s", i, firstDiff(wantMD, md), firstDiff(wantJS, js))
		}
	}
}

func TestReportHasNoSecrets(t *testing.T) {
	evs := loadFixture(t)
	var md, js bytes.Buffer
	WriteMarkdown(&md, evs, ReportOptions{})
	WriteJSON(&js, evs, ReportOptions{})
	for _, out := range []string{md.String(), js.String()} {
		for _, secret := range []string{"hunter2", "abc123", "id_ed25519", "/.ssh/", `"password"`, `"token"`} {
			if strings.Contains(out, secret) {
				t.Errorf("report contains %q", secret)
			}
		}
	}
	if !strings.Contains(md.String(), "next: kill the master") {
		t.Error("scrubbing removed the harmless part of the note")
	}
}

func sec(s float64) *Seconds { v := Seconds(s); return &v }

func TestReportFaultAnalysis(t *testing.T) {
	r := BuildReport(loadFixture(t), ReportOptions{})
	if r.Title != "Redis latency game day" || r.Inventory != "lab" || r.Verdict != VerdictDeviated || r.Duration != 119 {
		t.Errorf("header = %q %q %q %v", r.Title, r.Inventory, r.Verdict, r.Duration)
	}
	if len(r.Hypothesis) != 4 || r.Hypothesis[0].Held || !r.Hypothesis[2].Held {
		t.Errorf("hypothesis = %+v", r.Hypothesis)
	}
	if len(r.Notes) != 2 {
		t.Errorf("notes = %+v", r.Notes)
	}
	if len(r.Faults) != 3 {
		t.Fatalf("faults = %+v", r.Faults)
	}
	lat, kill, disk := r.Faults[0], r.Faults[1], r.Faults[2]

	check := func(name string, got, want *Seconds) {
		t.Helper()
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s = %v, want %v", name, deref(got), deref(want))
		}
	}
	check("latency armed", lat.ArmedAt, sec(20))
	check("latency reverted", lat.EndedAt, sec(50))
	check("latency detect", lat.TimeToDetect, sec(2.5)) // from arming at 19.5
	check("latency recover", lat.TimeToRecover, sec(4))
	check("latency self-heal", lat.TimeToSelfHeal, nil)
	if lat.DetectedBy != "redis.latency redis" || len(lat.Impact) == 0 {
		t.Errorf("latency fault = %+v", lat)
	}
	for _, im := range lat.Impact {
		if im.Probe == "redis.latency redis" && (im.WorstP99 == nil || im.WorstP99.Value != 518) {
			t.Errorf("latency fault's redis impact = %+v, want worst p99 518", im)
		}
	}
	if got := fmt.Sprint(lat.Params); got != "[{delay 500ms} {jitter 0ms}]" {
		t.Errorf("params = %s, want sorted and without the password", got)
	}

	check("kill detect", kill.TimeToDetect, sec(2.2))
	check("kill recover", kill.TimeToRecover, sec(4))
	var redis *ProbeImpact
	for i := range kill.Impact {
		if kill.Impact[i].Probe == "redis.latency redis" {
			redis = &kill.Impact[i]
		}
	}
	if redis == nil || redis.Unmeasured != 5 {
		t.Errorf("kill fault impact = %+v, want redis.latency with 5 unmeasurable windows", kill.Impact)
	}
	if len(kill.Redis) != 1 || kill.Redis[0].Switches != 1 || kill.State != "reverted" {
		t.Errorf("kill fault = %+v, redis %+v", kill, kill.Redis)
	}
	check("disk failed", disk.EndedAt, sec(95.2))
	check("disk arming", disk.ArmingAt, sec(95))
	check("disk armed", disk.ArmedAt, nil)
	check("latency arming", lat.ArmingAt, sec(19.5))
	if disk.State != "failed" || disk.Error != "fallocate: No space left on device" || disk.TimeToDetect != nil {
		t.Errorf("disk fault = %+v", disk)
	}
	wantSpans := []string{"redis.latency redis breach 22-54", "redis.latency redis error 72-82", "kafka.lag kafka/orders-consumer/orders breach 86-92"}
	var spans []string
	for _, b := range r.Breaches {
		spans = append(spans, fmt.Sprintf("%s %s %v-%v", b.Probe, b.Status, b.From, deref(b.To)))
	}
	if !slices.Equal(spans, wantSpans) {
		t.Errorf("breach spans = %q, want %q", spans, wantSpans)
	}
}

func deref(s *Seconds) any {
	if s == nil {
		return nil
	}
	return *s
}

func TestReportVerdict(t *testing.T) {
	start := func(data map[string]any) Event {
		return Event{Seq: 1, Time: t0, Kind: SessionStart, Source: "run", Data: data}
	}
	verdict := Event{Seq: 2, Time: t0.Add(time.Second), Kind: RunbookVerdict, Data: map[string]any{"verdict": "held"}}
	tests := map[string]struct {
		events      []Event
		wantVerdict string
		wantTitle   string
	}{
		"empty journal":             {nil, NoRunbook, "Game day"},
		"no runbook":                {[]Event{start(nil)}, NoRunbook, "Game day"},
		"runbook without a verdict": {[]Event{start(map[string]any{"runbook": "rb"})}, NoVerdict, "Game day: rb"},
		"runbook with a verdict":    {[]Event{start(map[string]any{"runbook": "rb"}), verdict}, "held", "Game day: rb"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := BuildReport(tc.events, ReportOptions{})
			if r.Verdict != tc.wantVerdict || r.Title != tc.wantTitle {
				t.Errorf("verdict %q title %q, want %q %q", r.Verdict, r.Title, tc.wantVerdict, tc.wantTitle)
			}
			var b bytes.Buffer
			if err := r.WriteMarkdown(&b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "| Verdict | **"+tc.wantVerdict+"** |") {
				t.Errorf("markdown lacks the verdict:\n%s", b.String())
			}
		})
	}
}

// manyEvents is a long session: windows of two latency probes every 100ms,
// with a fault and a note now and then.
func manyEvents(n int) []Event {
	evs := make([]Event, 0, n)
	for i := 0; len(evs) < n; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		probe := []string{"redis.latency", "cassandra.quorum"}[i%2]
		status := StatusOK
		if i%500 > 450 {
			status = StatusBreach
		}
		e := Event{Time: at, Kind: ProbeWindow, Source: "probe:" + probe, Summary: probe + " " + string(status),
			Data: &Reading{Probe: probe, Target: "t", Status: status, Value: float64(i % 97), P99: float64(i%97) + 0.5, Window: Duration(time.Second)}}
		evs = append(evs, e)
		switch i % 1000 {
		case 100:
			evs = append(evs, Event{Time: at, Kind: FaultArmed, Source: "inject", Summary: "armed",
				Data: &FaultData{FaultID: fmt.Sprint("f", i), Kind: "latency", Hosts: []string{"redis-1"}, Params: Params{"delay": "500ms"}}})
		case 600:
			evs = append(evs, Event{Time: at, Kind: FaultReverted, Source: "inject", Summary: "reverted",
				Data: &FaultData{FaultID: fmt.Sprint("f", i-500), Kind: "latency", Hosts: []string{"redis-1"}}})
		case 700:
			evs = append(evs, Event{Time: at, Kind: Note, Source: "operator", Summary: "a note | with a pipe"})
		}
	}
	for i := range evs {
		evs[i].Seq = uint64(i + 1)
	}
	return evs
}

var (
	ganttTask = regexp.MustCompile(`^    [^:#;]+ :(crit|active), [fb]\d+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
	chartLine = regexp.MustCompile(`^    line \[([0-9.]+(, [0-9.]+)*)\]$`)
)

// The charts stay within what Mermaid parses and renders: gantt task lines
// in the one shape used, and at most DefaultChartPoints points per line.
func TestReportChartsShape(t *testing.T) {
	for name, evs := range map[string][]Event{"fixture": loadFixture(t), "10k events": manyEvents(10_000)} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteMarkdown(&b, evs, ReportOptions{}); err != nil {
				t.Fatal(err)
			}
			var inGantt, inChart bool
			var tasks, lines int
			for _, l := range strings.Split(b.String(), "\n") {
				switch {
				case l == "gantt":
					inGantt = true
				case l == "xychart-beta":
					inChart = true
				case l == "```":
					inGantt, inChart = false, false
				case inGantt && strings.Contains(l, ", f") || inGantt && strings.Contains(l, ", b"):
					tasks++
					if !ganttTask.MatchString(l) {
						t.Errorf("gantt task line %q has an unexpected shape", l)
					}
				case inChart && strings.HasPrefix(l, "    line"):
					lines++
					m := chartLine.FindStringSubmatch(l)
					if m == nil {
						t.Fatalf("chart line %q has an unexpected shape", l)
					}
					if n := len(strings.Split(m[1], ", ")); n > DefaultChartPoints {
						t.Errorf("chart line has %d points, want at most %d", n, DefaultChartPoints)
					}
				}
			}
			if tasks == 0 || lines == 0 {
				t.Errorf("found %d gantt tasks and %d chart lines, want some of each", tasks, lines)
			}
		})
	}
}

// A probe whose breaches are far apart gets a bar each, up to a cap; one
// flapping (breaches less than FlapGap apart) gets one bar for the run.
func TestGanttCapsBreaches(t *testing.T) {
	var evs []Event
	for i := range 2 * (maxGanttBreaches + 20) {
		kind := ProbeBreach
		if i%2 == 1 {
			kind = ProbeRecovered
		}
		evs = append(evs, Event{Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * 40 * time.Second), Kind: kind,
			Data: map[string]any{"probe": "redis.latency", "target": "redis"}})
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, evs, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, ":active, b"); n != maxGanttBreaches {
		t.Errorf("gantt has %d breach bars, want %d", n, maxGanttBreaches)
	}
	if !strings.Contains(out, "The chart shows the first 100 breaches; 20 more are in the event table.") {
		t.Error("the chart does not say that breaches were left out")
	}
	if got := len(BuildReport(evs, ReportOptions{}).Breaches); got != maxGanttBreaches+20 {
		t.Errorf("report has %d breach spans, want all %d", got, maxGanttBreaches+20)
	}
}

func TestRel(t *testing.T) {
	tests := map[string]struct {
		s    Seconds
		ms   bool
		want string
	}{
		"zero":          {0, false, "+0:00"},
		"seconds":       {65.25, false, "+1:05"},
		"milliseconds":  {65.25, true, "+1:05.250"},
		"hours":         {3725, false, "+1:02:05"},
		"hours with ms": {3725.5, true, "+1:02:05.500"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := rel(tc.s, tc.ms); got != tc.want {
				t.Errorf("rel(%v, %v) = %q, want %q", tc.s, tc.ms, got, tc.want)
			}
		})
	}
}

func TestGanttFoldsFlapping(t *testing.T) {
	var evs []Event
	for i := range 40 {
		kind := ProbeBreach
		if i%2 == 1 {
			kind = ProbeRecovered
		}
		evs = append(evs, Event{Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * 5 * time.Second), Kind: kind,
			Data: &Reading{Probe: "kafka.latency", Target: "bus"}})
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, evs, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, ":active, b"); n != 1 || !strings.Contains(out, "kafka.latency bus flapping (20 breaches) :active, b1") {
		t.Errorf("gantt has %d bars, want one flapping bar:\n%s", n, out)
	}
	if n := strings.Count(out, "| probe.breach |") + strings.Count(out, "| probe.recovered |"); n != FlapShown+1 ||
		!strings.Contains(out, "kafka.latency bus flapping: 36 status changes (18 alarms) until +3:15") {
		t.Errorf("event table has %d probe rows, want %d and one counting the rest", n, FlapShown+1)
	}
}

// Every markdown table of a report is well formed: each row has as many
// cells as its header, escaped pipes not counting.
func TestTablesWellFormed(t *testing.T) {
	for name, evs := range map[string][]Event{"fixture": loadFixture(t), "membership": loadMembership(t), "10k events": manyEvents(10_000)} {
		var b bytes.Buffer
		if err := WriteMarkdown(&b, evs, ReportOptions{Warnings: []Warning{{File: "j|1", Line: 2, Msg: "a | b", Lines: 1}}}); err != nil {
			t.Fatal(err)
		}
		cells := func(l string) int { return strings.Count(strings.ReplaceAll(l, `\|`, ""), "|") }
		header, tables := 0, 0
		for i, l := range strings.Split(b.String(), "\n") {
			switch {
			case !strings.HasPrefix(l, "|"):
				header = 0
			case header == 0:
				header, tables = cells(l), tables+1
				if !strings.HasSuffix(l, "|") {
					t.Errorf("%s line %d: a table row must end with a pipe: %q", name, i+1, l)
				}
			case cells(l) != header || !strings.HasSuffix(l, "|"):
				t.Errorf("%s line %d: %d cells, header has %d: %q", name, i+1, cells(l)-1, header-1, l)
			}
		}
		if tables < 5 {
			t.Errorf("%s: only %d tables", name, tables)
		}
	}
}
