package tui

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	gp "github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/timeline"
)

// benchProbes are eight probe rows, as a full inventory shows them.
var benchProbes = []struct{ probe, target, unit string }{
	{"redis.latency", "lab-redis", "ms"}, {"sentinel.master", "lab-redis", ""},
	{"kafka.latency", "lab-kafka", "ms"}, {"kafka.lag", "lab-kafka g1/orders", "msgs"},
	{"kafka.lag", "lab-kafka g2/payments", "msgs"}, {"cassandra.quorum", "lab-cassandra", "%"},
	{"cassandra.latency", "lab-cassandra", "ms"}, {"redis.integrity", "lab-redis", "lost"},
}

// windowEvents returns n seconds of probe windows for every bench probe.
func windowEvents(start time.Time, n int) []timeline.Event {
	evs := make([]timeline.Event, 0, n*len(benchProbes))
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * time.Second)
		for k, p := range benchProbes {
			r := gp.Reading{Time: at, Probe: p.probe, Target: p.target, Status: gp.StatusOK,
				Value: 10 + 5*math.Sin(float64(i)/30+float64(k)), Unit: p.unit, Threshold: "p99 < 50ms"}
			e := timeline.NewEvent(timeline.ProbeWindow, "probes", "window").WithData(r)
			e.Time = at
			evs = append(evs, e)
		}
	}
	return evs
}

// otherEvents returns n timeline events of the kinds the pane lists.
func otherEvents(start time.Time, n int) []timeline.Event {
	kinds := []timeline.Kind{timeline.Note, timeline.SentinelEvent, timeline.ProbeBreach, timeline.ProbeRecovered, timeline.FaultArmed, timeline.FaultReverted}
	evs := make([]timeline.Event, n)
	for i := range evs {
		evs[i] = timeline.Event{Time: start.Add(time.Duration(i) * time.Millisecond), Kind: kinds[i%len(kinds)], Source: "bench",
			Host: "redis-" + strconv.Itoa(i%3+1), Summary: fmt.Sprintf("event %d of the bench timeline with a realistic summary length", i)}
	}
	return evs
}

func feed(m *Model, evs []timeline.Event) {
	for len(evs) > 0 {
		n := min(len(evs), 512) // a burst arrives in batches
		m.Update(eventsMsg{events: evs[:n]})
		evs = evs[n:]
	}
}

// BenchmarkView renders the full screen at 160×48 with 8 probes × 600
// points of history and 10,000 timeline events, and reports the median.
func BenchmarkView(b *testing.B) {
	m := New(Options{Inventory: fixtureInventory(), Kinds: fixtureKinds(), Now: fixedNow})
	feed(m, windowEvents(t0.Add(-600*time.Second), 600))
	feed(m, otherEvents(t0.Add(-time.Hour), 10000))
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	if m.timeline.Len() < 10000 {
		b.Fatalf("timeline holds %d lines, want 10000", m.timeline.Len())
	}
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_ = m.View()
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "ms-median")
}

// BenchmarkEightHourSession feeds 8 hours of one reading per second per
// probe (8 probes) plus 20,000 other events through Update, then reports
// the live heap: bounded rings keep it flat however long the game day.
func BenchmarkEightHourSession(b *testing.B) {
	const seconds = 8 * 3600
	for i := 0; i < b.N; i++ {
		m := New(Options{Inventory: fixtureInventory(), Kinds: fixtureKinds(), Now: fixedNow})
		m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
		start := t0.Add(-seconds * time.Second)
		for h := 0; h < seconds; h += 600 { // an hour's worth is 28,800 events: build them in slices
			feed(m, windowEvents(start.Add(time.Duration(h)*time.Second), 600))
			_ = m.View()
		}
		feed(m, otherEvents(start, 20000))
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MB-heap")
		runtime.KeepAlive(m)
	}
}

// BenchmarkIdleCPU runs the real binary in tmux on an inventory with no
// services (nothing moves), and reports its CPU use over 10 s from
// /proc/PID/stat.
func BenchmarkIdleCPU(b *testing.B) {
	if _, err := exec.LookPath("tmux"); err != nil {
		b.Skip("tmux not installed (scripts/deps.sh installs it)")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "gameday-idle")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/gameday").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("name: idle\nhosts:\n  - name: h1\n    address: 127.0.0.1\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("gameday-idle-%d-%d", os.Getpid(), i)
		cmd := fmt.Sprintf("XDG_STATE_HOME=%s exec %s -i %s --read-only 2>%s/err", dir, bin, inv, dir)
		if out, err := exec.Command("tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "48", cmd).CombinedOutput(); err != nil {
			b.Fatalf("tmux: %v\n%s", err, out)
		}
		b.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", name).Run() })
		pidOut, err := exec.Command("tmux", "display-message", "-p", "-t", name, "#{pane_pid}").Output()
		if err != nil {
			b.Fatal(err)
		}
		pid := strings.TrimSpace(string(pidOut))
		time.Sleep(2 * time.Second) // start-up is not idle
		if e, _ := os.ReadFile(filepath.Join(dir, "err")); len(e) > 0 {
			b.Fatalf("gameday failed: %s", e)
		}
		before := cpuTicks(b, pid)
		const idle = 10 * time.Second
		time.Sleep(idle)
		after := cpuTicks(b, pid)
		ticksPerSec := 100.0 // USER_HZ on Linux
		b.ReportMetric(float64(after-before)/ticksPerSec/idle.Seconds()*100, "%CPU")
	}
}

// cpuTicks returns utime+stime of pid from /proc/PID/stat.
func cpuTicks(b *testing.B, pid string) int64 {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return u + st
}
