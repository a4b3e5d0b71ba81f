package journaltest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// EightHoursStart is when the EightHours session starts.
var EightHoursStart = time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)

// EightHours is a synthetic game day as the recorder would journal it: four
// probes at one window per second for hours, faults spread evenly (each two
// minutes long, in turn a Redis master kill, a Cassandra partition and a
// Kafka latency fault, with the effects each has), notes at random, and
// one 2-second latency spike outside any fault. Deterministic.
func EightHours(hours, faults, notes int) []timeline.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	start := EightHoursStart
	span := time.Duration(hours) * time.Hour
	var evs []timeline.Event
	add := func(e timeline.Event) { e.Seq = uint64(len(evs) + 1); evs = append(evs, e) }
	add(timeline.SessionInfo{Source: "tui", Inventory: "lab", Title: "Eight hours", Services: []timeline.ServiceInfo{
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
	status := map[string]timeline.Status{}
	window := func(at time.Time, probe, target string, st timeline.Status, value, p99 float64, unit string) {
		r := &timeline.Reading{Time: at, Probe: probe, Target: target, Status: st, Value: value, P99: p99, Unit: unit, Window: timeline.Duration(time.Second)}
		add(timeline.Event{Time: at, Kind: timeline.ProbeWindow, Source: "probe:" + probe, Summary: fmt.Sprintf("%s %s %s", probe, target, st), Data: r})
		prev := status[r.Name()]
		status[r.Name()] = st
		if prev == st || prev == "" && st == timeline.StatusOK {
			return
		}
		k := map[timeline.Status]timeline.Kind{timeline.StatusOK: timeline.ProbeRecovered, timeline.StatusBreach: timeline.ProbeBreach, timeline.StatusError: timeline.ProbeError}[st]
		add(timeline.Event{Time: at, Kind: k, Source: "probe:" + probe, Summary: fmt.Sprintf("%s %s %s", probe, target, st), Data: r})
	}
	fault := func(at time.Time, k timeline.Kind, i int, kind, host string) {
		add(timeline.Event{Time: at, Kind: k, Source: "inject", Host: host, Summary: fmt.Sprintf("%s %s on %s", k, kind, host),
			Data: &timeline.FaultData{FaultID: fmt.Sprintf("f-%04d", i+1), Kind: kind, Hosts: []string{host}, TTL: timeline.Duration(10 * time.Minute)}})
	}
	for s := 1; s < int(span/time.Second); s++ {
		at := start.Add(time.Duration(s) * time.Second)
		i := int(at.Sub(start) / every)
		in := at.Sub(start.Add(time.Duration(i) * every)) // time into this fault's slot
		kind := i % 3
		armedFor := func(from, to time.Duration) bool { return in >= from && in < to }
		switch {
		case kind == 0 && armedFor(61*time.Second, 64*time.Second):
			window(at, "redis.latency", "cache", timeline.StatusError, 0, 0, "ms")
		case at.Sub(spike) >= 0 && at.Sub(spike) < 2*time.Second:
			window(at, "redis.latency", "cache", timeline.StatusBreach, 480, 480, "ms")
		default:
			v := 1 + rng.Float64()
			window(at, "redis.latency", "cache", timeline.StatusOK, v, v, "ms")
		}
		window(at, "sentinel.master", "cache", timeline.StatusOK, 3, 0, "sentinels")
		lag := 10 + rng.Float64()*20
		if kind == 2 && armedFor(62*time.Second, 120*time.Second) {
			lag = float64(in-62*time.Second) / float64(time.Second) * 100
		}
		lagStatus := timeline.StatusOK
		if lag > 1000 {
			lagStatus = timeline.StatusBreach
		}
		window(at, "kafka.lag", "bus g/orders", lagStatus, lag, 0, "messages")
		q, qs := 100.0, timeline.StatusOK
		if kind == 1 && armedFor(62*time.Second, 75*time.Second) {
			q, qs = 96, timeline.StatusBreach
		}
		window(at, "cassandra.quorum", "shop", qs, q, 3+rng.Float64(), "%")
		host := []string{"redis-1", "cassandra-3", "kafka-1"}[kind]
		name := []string{"process-kill", "partition", "latency"}[kind]
		switch in {
		case time.Minute:
			fault(at, timeline.FaultArming, i, name, host)
		case time.Minute + 300*time.Millisecond:
		case 3 * time.Minute:
			fault(at, timeline.FaultReverted, i, name, host)
		}
		if in == time.Minute {
			fault(at.Add(300*time.Millisecond), timeline.FaultArmed, i, name, host)
		}
		if kind == 0 && in == 62*time.Second {
			add(timeline.Event{Time: at.Add(900 * time.Millisecond), Kind: timeline.SentinelSwitch, Source: "probe:sentinel.master", Summary: "switch",
				Data: &timeline.SwitchData{Service: "cache", MasterName: "mymaster", Old: "10.0.0.1:6379", New: "10.0.0.2:6379", Sentinel: "10.0.0.1:26379"}})
		}
		if noteAt[s] {
			n := timeline.Event{Time: at, Kind: timeline.Note, Source: "tui", By: "ana", Summary: fmt.Sprintf("note %d: %s", s, strings.Repeat("observation ", 5))}
			add(n)
		}
	}
	return evs
}
