package timeline

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// synthDay is a synthetic game day as the recorder would journal it: four
// probes at one window per second for hours, faults spread evenly (each two
// minutes long, in turn a Redis master kill, a Cassandra partition and a
// Kafka latency fault, with the effects each has), notes at random, and
// one 2-second latency spike outside any fault. Deterministic.
func synthDay(hours, faults, notes int) []Event {
	rng := rand.New(rand.NewPCG(1, 2))
	start := t0
	span := time.Duration(hours) * time.Hour
	var evs []Event
	add := func(e Event) { e.Seq = uint64(len(evs) + 1); evs = append(evs, e) }
	add(SessionInfo{Source: "tui", Inventory: "lab", Title: "Eight hours", Services: []ServiceInfo{
		{Kind: "redis", Name: "cache", Hosts: []string{"redis-1", "redis-2", "redis-3"}, Probes: []string{"redis.latency cache", "sentinel.master cache"}, Sentinels: 3},
		{Kind: "kafka", Name: "bus", Hosts: []string{"kafka-1", "kafka-2", "kafka-3"}, Probes: []string{"kafka.lag bus g/orders"}},
		{Kind: "cassandra", Name: "shop", Hosts: []string{"cassandra-1", "cassandra-2", "cassandra-3"}, Probes: []string{"cassandra.quorum shop"}},
	}}.StartEvent())
	evs[0].Time = start
	every := span / time.Duration(faults)
	spike := start.Add(every / 2)
	noteAt := map[int]bool{}
	for len(noteAt) < notes {
		noteAt[1+rng.IntN(int(span/time.Second)-2)] = true
	}
	status := map[string]Status{}
	window := func(at time.Time, probe, target string, st Status, value, p99 float64, unit string) {
		r := &Reading{Time: at, Probe: probe, Target: target, Status: st, Value: value, P99: p99, Unit: unit, Window: Duration(time.Second)}
		add(Event{Time: at, Kind: ProbeWindow, Source: "probe:" + probe, Summary: fmt.Sprintf("%s %s %s", probe, target, st), Data: r})
		prev := status[r.Name()]
		status[r.Name()] = st
		if prev == st || prev == "" && st == StatusOK {
			return
		}
		k := map[Status]Kind{StatusOK: ProbeRecovered, StatusBreach: ProbeBreach, StatusError: ProbeError}[st]
		add(Event{Time: at, Kind: k, Source: "probe:" + probe, Summary: fmt.Sprintf("%s %s %s", probe, target, st), Data: r})
	}
	fault := func(at time.Time, k Kind, i int, kind, host string) {
		add(Event{Time: at, Kind: k, Source: "inject", Host: host, Summary: fmt.Sprintf("%s %s on %s", k, kind, host),
			Data: &FaultData{FaultID: fmt.Sprintf("f-%04d", i+1), Kind: kind, Hosts: []string{host}, TTL: Duration(10 * time.Minute)}})
	}
	for s := 1; s < int(span/time.Second); s++ {
		at := start.Add(time.Duration(s) * time.Second)
		i := int(at.Sub(start) / every)
		in := at.Sub(start.Add(time.Duration(i) * every)) // time into this fault's slot
		kind := i % 3
		armedFor := func(from, to time.Duration) bool { return in >= from && in < to }
		switch {
		case kind == 0 && armedFor(61*time.Second, 64*time.Second):
			window(at, "redis.latency", "cache", StatusError, 0, 0, "ms")
		case at.Sub(spike) >= 0 && at.Sub(spike) < 2*time.Second:
			window(at, "redis.latency", "cache", StatusBreach, 480, 480, "ms")
		default:
			v := 1 + rng.Float64()
			window(at, "redis.latency", "cache", StatusOK, v, v, "ms")
		}
		window(at, "sentinel.master", "cache", StatusOK, 3, 0, "sentinels")
		lag := 10 + rng.Float64()*20
		if kind == 2 && armedFor(62*time.Second, 120*time.Second) {
			lag = float64(in-62*time.Second) / float64(time.Second) * 100
		}
		lagStatus := StatusOK
		if lag > 1000 {
			lagStatus = StatusBreach
		}
		window(at, "kafka.lag", "bus g/orders", lagStatus, lag, 0, "messages")
		q, qs := 100.0, StatusOK
		if kind == 1 && armedFor(62*time.Second, 75*time.Second) {
			q, qs = 96, StatusBreach
		}
		window(at, "cassandra.quorum", "shop", qs, q, 3+rng.Float64(), "%")
		host := []string{"redis-1", "cassandra-3", "kafka-1"}[kind]
		name := []string{"process-kill", "partition", "latency"}[kind]
		switch in {
		case time.Minute:
			fault(at, FaultArming, i, name, host)
		case time.Minute + 300*time.Millisecond:
		case 3 * time.Minute:
			fault(at, FaultReverted, i, name, host)
		}
		if in == time.Minute {
			fault(at.Add(300*time.Millisecond), FaultArmed, i, name, host)
		}
		if kind == 0 && in == 62*time.Second {
			add(Event{Time: at.Add(900 * time.Millisecond), Kind: SentinelSwitch, Source: "probe:sentinel.master", Summary: "switch",
				Data: &SwitchData{Service: "cache", MasterName: "mymaster", Old: "10.0.0.1:6379", New: "10.0.0.2:6379", Sentinel: "10.0.0.1:26379"}})
		}
		if noteAt[s] {
			n := Event{Time: at, Kind: Note, Source: "tui", By: "ana", Summary: fmt.Sprintf("note %d: %s", s, strings.Repeat("observation ", 5))}
			add(n)
		}
	}
	return evs
}

// The 8-hour synthetic session (≈ 120k events) fits a report under 250 KB,
// and a 2-second spike still shows in its chart.
func TestEightHourReportSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 120k-event session")
	}
	evs := synthDay(8, 20, 50)
	if len(evs) < 115_000 {
		t.Fatalf("synthetic session has %d events, want ≈ 120k", len(evs))
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, evs, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if md.Len() > 250_000 {
		t.Errorf("report is %d bytes, want ≤ 250 KB", md.Len())
	}
	r := BuildReport(evs, ReportOptions{})
	if len(r.Faults) != 20 || len(r.Notes) != 50 {
		t.Errorf("%d faults, %d notes; want 20, 50", len(r.Faults), len(r.Notes))
	}
	for _, p := range r.Probes {
		if len(p.Chart) > DefaultChartPoints {
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
	j, err := OpenJournal(path)
	if err != nil {
		tb.Fatal(err)
	}
	evs := synthDay(8, 20, 50)
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
	evs := synthDay(8, 20, 50)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		a := NewAnalyzer()
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
		evs, _, err := LoadJournal(path)
		if err != nil || len(evs) != n {
			b.Fatalf("loaded %d of %d events: %v", len(evs), n, err)
		}
		var md bytes.Buffer
		if err := WriteMarkdown(&md, evs, ReportOptions{Journal: path}); err != nil {
			b.Fatal(err)
		}
		size = md.Len()
	}
	b.ReportMetric(float64(size)/1000, "report-KB")
	b.ReportMetric(float64(st.Size())/1e6, "journal-MB")
	b.ReportMetric(float64(n), "events")
}
