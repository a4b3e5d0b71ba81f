package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/journaltest"
)

// BenchmarkReplayFirstFrame runs the real binary's `gameday replay
// JOURNAL --print` on the synthetic 8-hour journal (≈ 120k events): open,
// lay out the cursor's index, derive the screen at the start and print it
// — the work before a replay's first frame — and reports its wall time,
// its CPU time (user + system: what the wall time is on an idle machine,
// less what the runtime does in parallel) and the process's peak resident
// memory (getrusage ru_maxrss).
func BenchmarkReplayFirstFrame(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "gameday-replay")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	evs := journaltest.EightHours(8, 20, 50)
	journal := journaltest.Write(b, "eight-hours.jsonl", evs)
	var walls, cpus []time.Duration
	var rss int64
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "replay", journal, "--print", "--size", "120x36")
		cmd.Env = append(cmd.Environ(), "XDG_STATE_HOME="+dir)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		walls = append(walls, time.Since(start))
		if err != nil || !strings.Contains(string(out), "Replay  08:30:00") {
			b.Fatalf("replay --print: %v\n%s", err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		rss = max(rss, ru.Maxrss)
		cpus = append(cpus, time.Duration(ru.Utime.Nano()+ru.Stime.Nano()))
	}
	b.StopTimer()
	slices.Sort(walls)
	slices.Sort(cpus)
	b.ReportMetric(float64(walls[len(walls)/2].Milliseconds()), "ms-median")
	b.ReportMetric(float64(cpus[len(cpus)/2].Milliseconds()), "cpu-ms-median")
	b.ReportMetric(float64(rss)/1024, "MB-maxrss")
	b.ReportMetric(float64(len(evs)), "events")
}
