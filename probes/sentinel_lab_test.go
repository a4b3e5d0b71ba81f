package probes

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
	"github.com/gameday-dev/gameday/timeline"
)

// labMaster returns the lab's Redis master host as the inventory names it.
func labMaster(t *testing.T, inv *targets.Inventory) targets.Host {
	t.Helper()
	for _, h := range inv.Hosts {
		if h.Lab != nil && h.Lab.Kind == "redis" && slices.Contains(h.Roles, "master") {
			return h
		}
	}
	t.Fatalf("the lab inventory names no Redis master host: %+v", inv.Hosts)
	return targets.Host{}
}

// latestOf returns the latest Reading of probe from set.
func latestOf(set *Set, probe string) Reading {
	for _, r := range set.Latest() {
		if r.Probe == probe {
			return r
		}
	}
	return Reading{}
}

// TestSentinelFailoverInLab kills the lab's Redis master with SIGKILL and
// checks what the probes see: a switch event on the timeline, the new
// master agreed by every Sentinel, and redis.latency failing during the
// failover and recovering after it.
func TestSentinelFailoverInLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{NoKafka: true})
	inv := l.Inventory()
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(10000)
	set, err := NewSet(inv, rec, Options{Report: 200 * time.Millisecond, Window: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	go set.Run(ctx)

	// Steady state first: every probe ok, the Sentinels agree.
	waitFor(t, 15*time.Second, "both Redis probes ok", func() bool {
		return latestOf(set, "redis.latency").Status == StatusOK && latestOf(set, "sentinel.master").Status == StatusOK
	})
	before := latestOf(set, "sentinel.master")
	host := labMaster(t, inv)
	t.Logf("steady: %s; killing %s (pid %d)", before.Detail, host.Name, host.Lab.PID)
	if err := syscall.Kill(host.Lab.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the master: %v", err)
	}
	killed := time.Now()

	var sw timeline.Event
	var sawFailure, recovered, masterBreach bool
	// Sentinel itself may need long: in TILT mode (its timer jumped on a
	// loaded machine) it waits 30 s before it acts.
	deadline := time.After(75 * time.Second)
	for sw.Kind == "" || !sawFailure || !recovered || !masterBreach {
		select {
		case ev := <-sub.C():
			switch {
			case ev.Kind == timeline.SentinelSwitch:
				if sw.Kind == "" {
					sw = ev
					t.Logf("%.1fs after the kill: %s", ev.Time.Sub(killed).Seconds(), ev.Summary)
				}
			case ev.Source == "probe:sentinel.master" && ev.Kind == timeline.ProbeBreach:
				t.Logf("%.1fs after the kill: %s", ev.Time.Sub(killed).Seconds(), ev.Summary)
				masterBreach = true
			case ev.Source == "probe:redis.latency" && (ev.Kind == timeline.ProbeBreach || ev.Kind == timeline.ProbeError):
				if !sawFailure {
					t.Logf("%.1fs after the kill: %s", ev.Time.Sub(killed).Seconds(), ev.Summary)
				}
				sawFailure = true
			case ev.Source == "probe:redis.latency" && ev.Kind == timeline.ProbeRecovered && sawFailure && sw.Kind != "":
				t.Logf("%.1fs after the kill: %s", ev.Time.Sub(killed).Seconds(), ev.Summary)
				recovered = true
			}
		case <-deadline:
			t.Fatalf("after the kill: switch event %v, sentinel.master breach %v, redis.latency failure seen %v, recovered %v; latest %+v\nsentinel-1.log ends:\n%s",
				sw.Kind != "", masterBreach, sawFailure, recovered, set.Latest(), logTail(filepath.Join(l.Dir(), "sentinel-1.log"), 20))
		}
	}
	if sw.String("old") != before.Master || sw.String("new") == before.Master || sw.String("new") == "" {
		t.Fatalf("switch event old %q new %q, want old %q and a new master", sw.String("old"), sw.String("new"), before.Master)
	}
	if sw.String("sentinel") == "poll" {
		t.Errorf("the switch was found by polling, want it from the +switch-master subscription")
	}
	waitFor(t, 10*time.Second, "sentinel.master ok on the new master", func() bool {
		r := latestOf(set, "sentinel.master")
		return r.Status == StatusOK && r.Master == sw.String("new") && int(r.Value) == len(inv.Services.Redis[0].Sentinels)
	})
}

// logTail returns the last n lines of a lab log, for failure messages.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
