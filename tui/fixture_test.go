package tui

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject"
	gp "github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/panes/probes"
)

// t0 is the fixed clock of every fixture: goldens must not move.
var t0 = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

func fixtureInventory() *targets.Inventory {
	h := func(name, addr string, roles ...string) targets.Host {
		return targets.Host{Name: name, Address: addr, Roles: roles, Tags: []string{"lab"}}
	}
	return &targets.Inventory{
		Name: "lab",
		Hosts: []targets.Host{
			h("redis-1", "127.0.0.1:16379", "redis"),
			h("redis-2", "127.0.0.1:16380", "redis"),
			h("redis-3", "127.0.0.1:16381", "redis"),
			h("sentinel-1", "127.0.0.1:26379", "sentinel"),
			h("sentinel-2", "127.0.0.1:26380", "sentinel"),
			h("sentinel-3", "127.0.0.1:26381", "sentinel"),
			h("kafka-1", "127.0.0.1:19092", "kafka"),
			h("kafka-2", "127.0.0.1:19093", "kafka"),
			h("kafka-3", "127.0.0.1:19094", "kafka"),
		},
	}
}

func fixtureKinds() []inject.KindInfo {
	return []inject.KindInfo{
		{Name: "latency", Help: "add one-way delay", Params: []inject.ParamInfo{{Name: "delay", Default: "500ms", Help: "added delay"}, {Name: "jitter", Default: "0ms", Help: "random variation"}}},
		{Name: "loss", Help: "drop packets", Params: []inject.ParamInfo{{Name: "percent", Default: "10", Help: "share dropped"}}},
		{Name: "partition", Help: "cut the host off its peers"},
		{Name: "kill", Help: "SIGKILL the service's process"},
		{Name: "pause", Help: "SIGSTOP the process, SIGCONT on revert"},
		{Name: "disk-full", Help: "fill the data filesystem"},
	}
}

func fixtureKnown() []probes.Known {
	return []probes.Known{{Probe: "cassandra.quorum", Target: "lab-cassandra", Thresholds: []string{"success >= 99.9%"}}}
}

// fixtureEvents returns ten minutes of probe windows for seven probes and a
// handful of timeline events, all at fixed times ending at t0.
func fixtureEvents() []timeline.Event {
	type spec struct {
		probe, target, unit, thr string
		base, amp                float64
		status                   gp.Status
	}
	specs := []spec{
		{"redis.latency", "lab-redis", "ms", "p99 < 50ms, success >= 99%", 1.2, 0.8, gp.StatusOK},
		{"sentinel.master", "lab-redis", "", "master: stable", 3, 0, gp.StatusOK},
		{"kafka.latency", "lab-kafka", "ms", "p99 < 50ms", 4, 3, gp.StatusOK},
		{"kafka.lag", "lab-kafka lab-group/orders", "msgs", "lag <= 1000", 900, 400, gp.StatusBreach},
		{"kafka.produce", "lab-kafka orders", "%", "success >= 99.9%", 100, 0, gp.StatusOK},
		{"redis.errors", "lab-redis", "/s", "errors < 1/s", 0, 0, gp.StatusError},
		{"redis.integrity", "lab-redis", "lost", "lost == 0", 0, 0, gp.StatusOK},
	}
	var evs []timeline.Event
	seq := uint64(0)
	add := func(e timeline.Event) {
		seq++
		e.Seq = seq
		evs = append(evs, e)
	}
	add(timeline.Event{Time: t0.Add(-605 * time.Second), Kind: timeline.SessionStart, Source: "tui", Summary: "session started"})
	for i := 600; i >= 1; i-- {
		at := t0.Add(-time.Duration(i) * time.Second)
		for k, s := range specs {
			v := s.base + s.amp*math.Sin(float64(i)/50+float64(k))
			r := gp.Reading{Time: at, Probe: s.probe, Target: s.target, Status: gp.StatusOK, Value: v, Unit: s.unit, Threshold: s.thr}
			if i < 30 {
				r.Status = s.status
			}
			if s.probe == "sentinel.master" {
				r.Master, r.Detail = "127.0.0.1:16380", "3/3 agree"
			}
			if r.Status == gp.StatusError {
				r.Detail = "dial tcp 127.0.0.1:16379: connection refused"
			}
			add(timeline.NewEvent(timeline.ProbeWindow, "probes", "%s %s", s.probe, s.target).WithData(r))
			evs[len(evs)-1].Time = at
		}
		switch i {
		case 60:
			e := timeline.NewEvent(timeline.FaultArmed, "inject", "latency delay=500ms armed on kafka-1").
				WithData(timeline.FaultData{FaultID: "f-0001", Kind: "latency", Hosts: []string{"kafka-1"}, Params: map[string]string{"delay": "500ms"}})
			e.Time, e.Host = at, "kafka-1"
			add(e)
		case 30:
			e := timeline.NewEvent(timeline.ProbeBreach, "probes", "kafka.lag lab-kafka lab-group/orders breached: lag 1210 > 1000").
				WithData(gp.Reading{Probe: "kafka.lag", Target: "lab-kafka lab-group/orders", Status: gp.StatusBreach, Value: 1210, Unit: "msgs"})
			e.Time = at
			add(e)
		case 20:
			e := timeline.NewEvent(timeline.Note, "tui", "consumer lag climbing as expected")
			e.Time = at
			add(e)
		}
	}
	return evs
}

// fakeFaults is a scripted Faults: it keeps its ledger in memory and
// records the events inject would record on a real Recorder.
type fakeFaults struct {
	mu      sync.Mutex
	rec     *timeline.Recorder
	now     func() time.Time
	active  map[string]inject.Armed
	orphans []inject.Armed
	n       int
	calls   []string
	// block, when set, makes Arm wait for it (a hung host).
	block chan struct{}
}

func newFakeFaults(rec *timeline.Recorder) *fakeFaults {
	return &fakeFaults{rec: rec, now: fixedNow, active: map[string]inject.Armed{}}
}

func (f *fakeFaults) log(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeFaults) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeFaults) Preview(_ context.Context, req inject.Request) (inject.Preview, error) {
	f.log("preview " + req.Kind)
	p := inject.Preview{Request: req, BlastRadius: fmt.Sprintf("%d host(s), no service loses its majority", len(req.Hosts))}
	for _, h := range req.Hosts {
		p.Hosts = append(p.Hosts, inject.HostPlan{
			Host: h, Executor: "lab",
			Inject: []string{fmt.Sprintf("lab: %s %s %s", req.Kind, h, fmtParams(req.Params))},
			Verify: []string{"lab: check " + req.Kind + " in place on " + h},
			Revert: []string{"lab: undo " + req.Kind + " on " + h},
		})
	}
	if req.Kind == "kill" && len(req.Hosts) >= 2 {
		p.Majority = true
		p.BlastRadius = fmt.Sprintf("takes down %d of 3 redis nodes: a majority", len(req.Hosts))
	}
	return p, nil
}

func fmtParams(p map[string]string) string {
	var s []string
	for k, v := range p {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

func (f *fakeFaults) ArmPlan(ctx context.Context, p inject.Preview) (inject.Armed, error) {
	req := p.Request
	f.log(fmt.Sprintf("arm %s %s iknow=%v", req.Kind, strings.Join(req.Hosts, ","), req.IKnow))
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return inject.Armed{}, ctx.Err()
		}
	}
	f.mu.Lock()
	f.n++
	a := inject.Armed{ID: fmt.Sprintf("f-%04d", f.n), Request: req, State: inject.StateArmed, ArmedAt: f.now(), Deadline: f.now().Add(req.TTL), PerHost: map[string]string{}}
	f.active[a.ID] = a
	f.mu.Unlock()
	f.rec.Record(timeline.NewEvent(timeline.FaultArmed, "inject", "%s armed on %s", req.Kind, strings.Join(req.Hosts, ",")).
		WithData(timeline.FaultData{FaultID: a.ID, Kind: req.Kind, Hosts: req.Hosts, Params: req.Params}))
	return a, nil
}

func (f *fakeFaults) Revert(_ context.Context, id string) (inject.Armed, error) {
	f.log("revert " + id)
	f.mu.Lock()
	a, ok := f.active[id]
	delete(f.active, id)
	f.mu.Unlock()
	if !ok {
		return inject.Armed{ID: id, State: inject.StateReverted}, nil
	}
	a.State = inject.StateReverted
	f.rec.Record(timeline.NewEvent(timeline.FaultReverted, "inject", "%s reverted on %s", a.Request.Kind, strings.Join(a.Request.Hosts, ",")).
		WithData(timeline.FaultData{FaultID: id, Kind: a.Request.Kind, Hosts: a.Request.Hosts}))
	return a, nil
}

func (f *fakeFaults) RevertAll(ctx context.Context) ([]inject.Armed, error) {
	f.log("revert-all")
	l, _ := f.List(true)
	var out []inject.Armed
	for _, a := range l {
		r, err := f.Revert(ctx, a.ID)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (f *fakeFaults) List(bool) ([]inject.Armed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]inject.Armed, 0, len(f.active))
	for _, a := range f.active {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (f *fakeFaults) Orphans() ([]inject.Armed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]inject.Armed(nil), f.orphans...), nil
}

// subFeed is a Feed over a Recorder subscription: what the screen read
// before sessions, kept for tests that drive it with a bare Recorder.
type subFeed struct{ sub *timeline.Subscription }

func (f subFeed) Next() ([]timeline.Event, bool, bool) {
	e, ok := <-f.sub.C()
	if !ok {
		return nil, false, false
	}
	batch := []timeline.Event{e}
	for {
		select {
		case e, ok := <-f.sub.C():
			if !ok {
				return batch, false, true
			}
			batch = append(batch, e)
		default:
			return batch, false, true
		}
	}
}

// recNotes records notes straight onto a Recorder.
type recNotes struct{ rec *timeline.Recorder }

func (n recNotes) Note(text string) error {
	n.rec.Record(timeline.NewEvent(timeline.Note, "tui", "%s", text))
	return nil
}
