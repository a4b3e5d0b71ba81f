package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// The report's failover time is the Sentinels' own: `gameday run
// examples/redis-failover.yaml --report r.md` on the lab states it, and it
// agrees within 100 ms with the +switch-master the Sentinels wrote in their
// logs, counted from the moment the master died (watched here, apart from
// gameday, in /proc).
func TestFailoverTimeAgreesWithSentinelLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the master of a real lab; skipped with -short")
	}
	bin := buildGameday(t, t.TempDir())
	dir := userLab(t, bin)
	invPath := filepath.Join(dir, "inventory.yaml")
	inv, err := targets.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, h := range inv.Hosts {
		if h.Lab != nil && h.Lab.Kind == "redis" {
			pids = append(pids, h.Lab.PID)
		}
	}
	if len(pids) == 0 {
		t.Fatal("the lab inventory lists no redis node with a PID")
	}
	died := watchDeath(t, pids)

	state := t.TempDir()
	report := filepath.Join(state, "r.md")
	cmd := exec.Command(bin, "run", filepath.Join("..", "..", "examples", "redis-failover.yaml"), "-i", invPath,
		"--journal", filepath.Join(state, "run.jsonl"), "--report", report)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	out, err := cmd.CombinedOutput()
	t.Logf("gameday run:\n%s", out)
	// What this test measures is the failover figure, not the verdict:
	// the runbook's hypothesis (redis.latency p99 < 50ms) deviates on a
	// loaded machine, which exits 1 with the report written all the same.
	var exit *exec.ExitError
	deviated := errors.As(err, &exit) && exit.ExitCode() == ExitFailed && strings.Contains(string(out), "verdict: deviated")
	if err != nil && !deviated {
		t.Fatalf("gameday run: %v", err)
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\*\*kill\*\* on \S+ at \S+ — [^\n]*· failover ([0-9.]+m?s)`).FindSubmatch(md)
	if m == nil {
		t.Fatalf("the report states no failover time for the kill:\n%.2000s", md)
	}
	reported, err := time.ParseDuration(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}

	killed := died()
	if killed.IsZero() {
		t.Fatal("no redis node died during the run")
	}
	switched := firstSwitch(t, dir, killed)
	logged := switched.Sub(killed)
	t.Logf("master died at %s; first +switch-master in the Sentinels' logs at %s (%s later); the report says failover %s",
		killed.Format("15:04:05.000"), switched.Format("15:04:05.000"), logged, reported)
	if d := (reported - logged).Abs(); d > 100*time.Millisecond {
		t.Errorf("report's failover %s is %s off the Sentinels' %s", reported, d, logged)
	}
}

// watchDeath polls the processes every millisecond and returns a function
// giving the moment the first of them died (gone, or a zombie), zero if
// none did; calling it stops the watch.
func watchDeath(t *testing.T, pids []int) func() time.Time {
	var (
		mu   sync.Mutex
		when time.Time
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				for _, pid := range pids {
					b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
					if err == nil && !strings.Contains(string(b), ") Z ") {
						continue
					}
					mu.Lock()
					when = now
					mu.Unlock()
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() time.Time {
		once.Do(func() { close(stop); <-done })
		mu.Lock()
		defer mu.Unlock()
		return when
	}
}

// firstSwitch returns the earliest +switch-master after since in the lab's
// Sentinel logs ("PID:X 27 Nov 2026 15:50:01.123 # +switch-master …").
func firstSwitch(t *testing.T, dir string, since time.Time) time.Time {
	logs, _ := filepath.Glob(filepath.Join(dir, "sentinel*.log"))
	if len(logs) == 0 {
		t.Fatalf("no Sentinel log in %s", dir)
	}
	line := regexp.MustCompile(`^\d+:X (\d+ \w+ \d{4} \d\d:\d\d:\d\d\.\d{3}) [#*.-] \+switch-master `)
	var first time.Time
	for _, path := range logs {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m := line.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			at, err := time.ParseInLocation("2 Jan 2006 15:04:05.000", m[1], time.Local)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if at.After(since) && (first.IsZero() || at.Before(first)) {
				first = at
			}
		}
		f.Close()
	}
	if first.IsZero() {
		t.Fatalf("no +switch-master after the kill in %v", logs)
	}
	return first
}
