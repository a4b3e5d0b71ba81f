// Package journaltest builds recorded sessions for tests: journals as
// gameday writes them, deterministic, so that replay screens and reports
// of them can be compared with goldens.
package journaltest

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// DrillStart is when the Drill session starts.
var DrillStart = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

// Moments of the Drill session, as offsets from DrillStart.
const (
	DrillArm      = 120 * time.Second                      // kill on redis-1 (the master) starts arming
	DrillSwitch   = 124*time.Second + 600*time.Millisecond // Sentinel switches to redis-2
	DrillBreach   = 126 * time.Second                      // redis.latency breaches (it errored from 122 s)
	DrillRecover  = 151 * time.Second                      // redis.latency is ok again
	DrillRevert   = 240 * time.Second                      // the fault is reverted
	DrillUnknown  = 250 * time.Second                      // an event of a kind a newer gameday records
	DrillDuration = 360 * time.Second
)

// Drill is six minutes of a lab game day: three probes reporting every
// second, a note, kill on the Redis master at 2:00, redis.latency erroring
// then breaching while Sentinel fails over to redis-2, recovery at 2:31,
// the revert at 4:00, a second note, an event of a kind this gameday does
// not know, and the end.
func Drill() []timeline.Event {
	var evs []timeline.Event
	add := func(off time.Duration, e timeline.Event) {
		e.Seq = uint64(len(evs) + 1)
		e.Time = DrillStart.Add(off)
		evs = append(evs, e)
	}
	start := timeline.SessionInfo{Source: "tui", Inventory: "lab", Services: []timeline.ServiceInfo{
		{Kind: "redis", Name: "lab-redis", Hosts: []string{"redis-1", "redis-2", "redis-3"},
			Probes: []string{"redis.latency lab-redis", "sentinel.master lab-redis"}, Sentinels: 3},
		{Kind: "kafka", Name: "lab-kafka", Hosts: []string{"kafka-1", "kafka-2", "kafka-3"},
			Probes: []string{"kafka.lag lab-kafka lab-group/orders"}},
	}}.StartEvent()
	add(0, start)
	fault := timeline.FaultData{FaultID: "f-0001", Kind: "kill", Hosts: []string{"redis-1"},
		Params: timeline.Params{"signal": "KILL"}, TTL: timeline.Duration(5 * time.Minute)}
	faultEvent := func(k timeline.Kind, format string) timeline.Event {
		e := timeline.NewEvent(k, "inject", format, "kill signal=KILL", "redis-1").WithData(&fault)
		e.Host = "redis-1"
		return e
	}
	status := map[string]timeline.Status{}
	window := func(off time.Duration, r timeline.Reading, change string) {
		r.Time, r.Window = DrillStart.Add(off), timeline.Duration(time.Second)
		add(off, timeline.NewEvent(timeline.ProbeWindow, "probe:"+r.Probe, "%s %s %s", r.Probe, r.Target, r.Status).WithData(&r))
		prev := status[r.Name()]
		status[r.Name()] = r.Status
		if prev == r.Status || prev == "" && r.Status == timeline.StatusOK {
			return
		}
		k := map[timeline.Status]timeline.Kind{timeline.StatusOK: timeline.ProbeRecovered,
			timeline.StatusBreach: timeline.ProbeBreach, timeline.StatusError: timeline.ProbeError}[r.Status]
		add(off, timeline.NewEvent(k, "probe:"+r.Probe, "%s %s %s", r.Probe, r.Target, change).WithData(&r))
	}
	for s := 1; s <= int(DrillDuration/time.Second); s++ {
		off := time.Duration(s) * time.Second
		lat := timeline.Reading{Probe: "redis.latency", Target: "lab-redis", Status: timeline.StatusOK, Unit: "ms",
			Value: 1 + 0.3*math.Sin(float64(s)/7), Threshold: "p99 < 50ms"}
		lat.P99 = lat.Value
		change := "recovered: p99 " + fmt.Sprintf("%.2fms", lat.Value)
		switch {
		case off > DrillArm && off < DrillBreach:
			lat.Status, lat.Value, lat.P99 = timeline.StatusError, 0, 0
			lat.Detail = "dial tcp 127.0.0.1:16379: connect: connection refused"
			change = "cannot measure: " + lat.Detail
		case off >= DrillBreach && off < DrillRecover:
			lat.Status, lat.Value = timeline.StatusBreach, 80-float64(s-126)
			lat.P99 = lat.Value
			change = fmt.Sprintf("breached: p99 %.0fms > 50ms", lat.Value)
		}
		window(off, lat, change)
		master := timeline.Reading{Probe: "sentinel.master", Target: "lab-redis", Status: timeline.StatusOK, Unit: "sentinels",
			Value: 3, Threshold: "master: stable", Master: "127.0.0.1:16379", Detail: "3/3 agree", Stable: true}
		if off > DrillSwitch {
			master.Master = "127.0.0.1:16380"
		}
		window(off, master, "")
		lag := timeline.Reading{Probe: "kafka.lag", Target: "lab-kafka lab-group/orders", Status: timeline.StatusOK,
			Unit: "msgs", Value: math.Round(20 + 10*math.Sin(float64(s)/11)), Threshold: "lag <= 1000"}
		window(off, lag, "")
		switch off {
		case time.Minute:
			n := timeline.NewEvent(timeline.Note, "tui", "steady state: every probe green")
			n.By = "ana"
			add(off, n)
		case DrillArm:
			add(off, faultEvent(timeline.FaultArming, "arming %s on %s"))
			add(off+400*time.Millisecond, faultEvent(timeline.FaultArmed, "%s armed on %s"))
		case 123 * time.Second:
			add(off+100*time.Millisecond, timeline.NewEvent(timeline.SentinelEvent, "probe:sentinel.master", "lab-redis +odown master mymaster 127.0.0.1 16379").
				WithData(&timeline.SentinelEventData{Service: "lab-redis", Event: "+odown", Payload: "master mymaster 127.0.0.1 16379 #quorum 2/2", Sentinel: "127.0.0.1:26379"}))
		case 124 * time.Second:
			add(DrillSwitch, timeline.NewEvent(timeline.SentinelSwitch, "probe:sentinel.master", "lab-redis master switched 127.0.0.1:16379 → 127.0.0.1:16380").
				WithData(&timeline.SwitchData{Service: "lab-redis", MasterName: "mymaster", Old: "127.0.0.1:16379", New: "127.0.0.1:16380", Sentinel: "127.0.0.1:26379", SeenBy: 3}))
		case 3 * time.Minute:
			n := timeline.NewEvent(timeline.Note, "tui", "failover took about 4 s; clients back by 2:31")
			n.By = "ana"
			add(off, n)
		case DrillRevert:
			add(off, faultEvent(timeline.FaultReverted, "%s reverted on %s"))
		case DrillUnknown:
			add(off, timeline.Event{Kind: "chaos.future", Source: "gameday-next", Summary: "an event this gameday does not know",
				UnknownData: map[string]json.RawMessage{"widget": json.RawMessage(`7`)}})
		}
	}
	add(DrillDuration, timeline.EndEvent("quit"))
	return evs
}

// Write writes events to a journal named name in a new temporary
// directory and returns its path.
func Write(tb testing.TB, name string, events []timeline.Event) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	j, err := timeline.OpenJournal(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := j.AppendBatch(events); err != nil {
		tb.Fatal(err)
	}
	if err := j.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}
