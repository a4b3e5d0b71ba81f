package timeline_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/journaltest"
	"github.com/gameday-dev/gameday/timeline"
)

// The 8-hour session lives in internal/journaltest, which imports
// timeline: the tests inside the package reach it through this hook.
func init() { timeline.EightHours = journaltest.EightHours }

// The 8-hour synthetic session (≈ 120k events) fits a report under 250 KB,
// and a 2-second spike still shows in its chart.
func TestEightHourReportSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 120k-event session")
	}
	evs := journaltest.EightHours(8, 20, 50)
	if len(evs) < 115_000 {
		t.Fatalf("synthetic session has %d events, want ≈ 120k", len(evs))
	}
	var md bytes.Buffer
	if err := timeline.WriteMarkdown(&md, evs, timeline.ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if md.Len() > 250_000 {
		t.Errorf("report is %d bytes, want ≤ 250 KB", md.Len())
	}
	r := timeline.BuildReport(evs, timeline.ReportOptions{})
	if len(r.Faults) != 20 || len(r.Notes) != 50 {
		t.Errorf("%d faults, %d notes; want 20, 50", len(r.Faults), len(r.Notes))
	}
	for _, p := range r.Probes {
		if len(p.Chart) > timeline.DefaultChartPoints {
			t.Errorf("%s chart has %d points", p.Probe, len(p.Chart))
		}
		if p.Probe == "redis.latency cache" && !strings.Contains(md.String(), "480.0") {
			t.Errorf("the 2-second 480 ms spike is not in the chart")
		}
	}
}

// writeSynthJournal writes the 8-hour session to a journal file.
func writeSynthJournal(tb testing.TB) (string, int) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "eight-hours.jsonl")
	j, err := timeline.OpenJournal(path)
	if err != nil {
		tb.Fatal(err)
	}
	evs := journaltest.EightHours(8, 20, 50)
	if err := j.AppendBatch(evs); err != nil {
		tb.Fatal(err)
	}
	if err := j.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, len(evs)
}

// BenchmarkAnalyzer feeds the 8-hour session to the analyzer.
func BenchmarkAnalyzer(b *testing.B) {
	evs := journaltest.EightHours(8, 20, 50)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		a := timeline.NewAnalyzer()
		for _, e := range evs {
			a.Feed(e)
		}
		_ = a.Faults()
		n += len(evs)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkExportEightHours is `gameday export` of the 8-hour journal:
// load, analyse, render the markdown.
func BenchmarkExportEightHours(b *testing.B) {
	path, n := writeSynthJournal(b)
	st, _ := os.Stat(path)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		evs, _, err := timeline.LoadJournal(path)
		if err != nil || len(evs) != n {
			b.Fatalf("loaded %d of %d events: %v", len(evs), n, err)
		}
		var md bytes.Buffer
		if err := timeline.WriteMarkdown(&md, evs, timeline.ReportOptions{Journal: path}); err != nil {
			b.Fatal(err)
		}
		size = md.Len()
	}
	b.ReportMetric(float64(size)/1000, "report-KB")
	b.ReportMetric(float64(st.Size())/1e6, "journal-MB")
	b.ReportMetric(float64(n), "events")
}
