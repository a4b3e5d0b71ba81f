package metrics

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// fakeClock is the exporter's clock in a test: it moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestSeriesDoNotGrowWithTheDay: however long the game day, the number of
// series stays bounded. Each round, 30 people join and leave, a PromQL
// probe's result brings 50 series never seen before, and three times
// MaxEndedFaults faults are armed and reverted; after the third round
// every metric has exactly as many series as after the first: the people
// who left, the result series older than StaleRow and all but the latest
// MaxEndedFaults ended faults are gone.
func TestSeriesDoNotGrowWithTheDay(t *testing.T) {
	s := liveSession(t)
	clock := &fakeClock{t: time.Now()}
	e, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	e.now = clock.Now
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Serve(ln)
	t.Cleanup(func() { e.Close() })
	url := "http://" + ln.Addr().String() + Path
	rec := s.Recorder()
	record := func(ev timeline.Event) {
		ev.Time = clock.Now()
		rec.Record(ev)
	}
	const people, rows = 30, 50
	faults := 3 * MaxEndedFaults
	day := func(round int) families {
		clock.Advance(StaleRow + time.Second) // the previous round's result series are stale now
		for i := range people {
			a, err := s.Attach(session.Person{Name: fmt.Sprintf("person-%d-%d", round, i), Role: session.Observer})
			if err != nil {
				t.Fatal(err)
			}
			a.Detach()
		}
		for i := range rows {
			r := &timeline.Reading{Probe: "prometheus.query", Target: fmt.Sprintf("lab-prometheus{instance=\"%d-%d\"}", round, i),
				Status: timeline.StatusOK, Value: float64(i), Unit: "value"}
			record(timeline.NewEvent(timeline.ProbeWindow, "probes", "window").WithData(r))
		}
		for i := range faults {
			fd := &timeline.FaultData{FaultID: fmt.Sprintf("f-%d-%03d", round, i), Kind: "latency", Hosts: []string{"local"},
				Params: timeline.Params{"delay": fmt.Sprintf("%dms", i)}}
			ev := timeline.NewEvent(timeline.FaultArmed, "inject", "armed").WithData(fd)
			ev.By = fmt.Sprintf("person-%d-0", round)
			record(ev)
			clock.Advance(time.Second)
			record(timeline.NewEvent(timeline.FaultReverted, "inject", "reverted").WithData(fd))
		}
		record(timeline.NewEvent(timeline.Note, "tui", "round %d over", round))
		return until(t, url, fmt.Sprintf("round %d", round), func(fs families) bool {
			n, _ := fs.value("gameday_events_total", map[string]string{"kind": string(timeline.Note)})
			return n == float64(round)
		})
	}
	count := func(fs families) map[string]int {
		out := map[string]int{}
		for name, f := range fs {
			out[name] = len(f.Metric)
		}
		return out
	}
	first := count(day(1))
	day(2)
	fs := day(3)
	last := count(fs)
	for name, n := range first {
		if last[name] != n {
			t.Errorf("%s: %d series after the first round, %d after the third", name, n, last[name])
		}
	}
	for name := range last {
		if _, ok := first[name]; !ok {
			t.Errorf("%s: appeared after the first round", name)
		}
	}
	if n := last["gameday_session_person"]; n != 0 {
		t.Errorf("%d people exported, want none (everyone left):\n%s", n, fs.series("gameday_session_person"))
	}
	if n := last["gameday_fault_armed"]; n != MaxEndedFaults {
		t.Errorf("%d faults exported, want the latest %d ended ones:\n%s", n, MaxEndedFaults, fs.series("gameday_fault_armed"))
	}
	if _, ok := fs.value("gameday_fault_armed", map[string]string{"fault_id": fmt.Sprintf("f-3-%03d", faults-1)}); !ok {
		t.Errorf("the latest ended fault is not exported:\n%s", fs.series("gameday_fault_armed"))
	}
	if n := last["gameday_probe_value"]; n != rows {
		t.Errorf("%d probe rows exported, want the latest round's %d:\n%s", n, rows, fs.series("gameday_probe_value"))
	}
	if _, ok := fs.value("gameday_probe_value", map[string]string{"target": `lab-prometheus{instance="1-0"}`}); ok {
		t.Error("a result series of the first round is still exported")
	}
}
