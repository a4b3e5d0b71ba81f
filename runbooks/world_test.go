package runbooks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// world is a scripted stand-in for the lab, used before (and beside) the
// real one: it keeps a ledger of faults like inject.Manager, and its probe
// readings react to them — latency faults raise p99, a process-kill of the
// master makes Sentinel promote another node.
type world struct {
	mu        sync.Mutex
	active    map[string]inject.Request
	order     []string
	seq       int
	master    string
	revertErr error
	arms      []inject.Request
	// warmUntil makes p99 slow until then, as a probe's first connections
	// are.
	warmUntil time.Time
}

func newWorld() *world {
	return &world{active: map[string]inject.Request{}, master: "127.0.0.1:7001"}
}

var worldNodes = map[string]string{"redis-1": "127.0.0.1:7001", "redis-2": "127.0.0.1:7002", "redis-3": "127.0.0.1:7003"}

func (w *world) Preview(_ context.Context, req inject.Request) (inject.Preview, error) {
	if len(req.Hosts) == 0 {
		return inject.Preview{}, errors.New("no hosts")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	return inject.Preview{ID: fmt.Sprintf("f%d", w.seq), Request: req, BlastRadius: "takes down 1 of 3 redis nodes"}, nil
}

// ArmPlan arms under the id the preview showed, as inject.Manager does.
func (w *world) ArmPlan(_ context.Context, p inject.Preview) (inject.Armed, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	req, id := p.Request, p.ID
	w.active[id] = req
	w.order = append(w.order, id)
	w.arms = append(w.arms, req)
	if req.Kind == "kill" {
		for _, h := range req.Hosts {
			if worldNodes[h] == w.master {
				// Sentinel promotes the next node.
				for _, n := range []string{"redis-1", "redis-2", "redis-3"} {
					if n != h {
						w.master = worldNodes[n]
						break
					}
				}
			}
		}
	}
	return inject.Armed{ID: id, Request: req, State: inject.StateArmed}, nil
}

func (w *world) Revert(_ context.Context, id string) (inject.Armed, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.revertErr != nil {
		return inject.Armed{ID: id}, w.revertErr
	}
	req := w.active[id]
	delete(w.active, id)
	return inject.Armed{ID: id, Request: req, State: inject.StateReverted}, nil
}

// sentinels is what the world's three Sentinels answer now: the current
// master, and the other nodes as its replicas.
func (w *world) sentinels(ctx context.Context, svc targets.Redis) targets.SentinelView {
	w.mu.Lock()
	master := w.master
	w.mu.Unlock()
	var replicas []string
	for _, addr := range worldNodes {
		if addr != master {
			replicas = append(replicas, addr)
		}
	}
	return sentinelsSay(three(master), replicas...)(ctx, svc)
}

// activeIDs lists the faults still armed.
func (w *world) activeIDs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, id := range w.order {
		if _, ok := w.active[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// readings is what the probes would report now.
func (w *world) readings(now time.Time) []probes.Reading {
	w.mu.Lock()
	defer w.mu.Unlock()
	p99 := 5.0
	for _, req := range w.active {
		if req.Kind == "latency" {
			p99 = 600
		}
	}
	if now.Before(w.warmUntil) {
		p99 = 80
	}
	status := probes.StatusOK
	if p99 >= 50 {
		status = probes.StatusBreach
	}
	return []probes.Reading{
		{Time: now, Probe: "redis.latency", Target: "lab-redis", Status: status, P50: p99 / 2, P99: p99, Max: p99, Count: 100, Unit: "ms"},
		{Time: now, Probe: "sentinel.master", Target: "lab-redis", Status: probes.StatusOK, Master: w.master, Stable: true, Value: 3},
	}
}

// feed records the world's readings on rec every period until the test
// ends.
func (w *world) feed(t *testing.T, rec *timeline.Recorder, period time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			for _, r := range w.readings(time.Now()) {
				rec.Record(timeline.Event{Time: r.Time, Kind: timeline.ProbeWindow, Source: "probe:" + r.Probe}.WithData(r))
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// worldInventory has three Redis nodes (redis-1 the master when written)
// and three Sentinels.
func worldInventory() *targets.Inventory {
	inv := &targets.Inventory{Name: "world"}
	svc := targets.Redis{Name: "lab-redis", Master: "mymaster"}
	for i, n := range []string{"redis-1", "redis-2", "redis-3"} {
		role := "replica"
		if i == 0 {
			role = "master"
		}
		inv.Hosts = append(inv.Hosts, targets.Host{Name: n, Address: "127.0.0.1", Tags: []string{"lab"}, Roles: []string{"redis", role},
			Lab: &targets.LabNode{Kind: "redis", Listen: worldNodes[n]}})
		svc.Hosts = append(svc.Hosts, n)
	}
	for i := 1; i <= 3; i++ {
		n := fmt.Sprintf("sentinel-%d", i)
		inv.Hosts = append(inv.Hosts, targets.Host{Name: n, Address: "127.0.0.1", Roles: []string{"sentinel"}, Lab: &targets.LabNode{Kind: "sentinel"}})
		svc.Hosts = append(svc.Hosts, n)
	}
	inv.Services.Redis = []targets.Redis{svc}
	return inv
}
