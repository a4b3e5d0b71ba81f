package targets

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Readiness is the outcome of reaching one service endpoint or host: one
// row of `gameday check`.
type Readiness struct {
	Item    string        `json:"item"`    // "redis/cache", "kafka-1"
	Kind    string        `json:"kind"`    // "sentinel", "redis master", "kafka", "cassandra", "ssh", "lab redis", …
	Address string        `json:"address"` // what was dialled
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"latency_ns"`
	Detail  string        `json:"detail,omitempty"`
	// Problems are mistakes in the inventory that only reaching the
	// service shows (a PromQL query the server rejects): bad input, at
	// the line that holds them.
	Problems Problems `json:"-"`
}

// HostCheck reaches one host. The default, CheckHost, proves a lab node's
// process is alive and listening, or reads a real host's SSH banner; an SSH
// executor can plug in a full login instead.
type HostCheck func(ctx context.Context, inv *Inventory, h Host) Readiness

// ReachOptions tunes Reach.
type ReachOptions struct {
	// Timeout bounds each item (default 3s).
	Timeout time.Duration
	// CheckHost reaches one host (default CheckHost).
	CheckHost HostCheck
}

// Reach contacts every service and every host of the inventory in
// parallel, each under its own timeout, and returns one row per endpoint:
// services first, then the lab's endpoints, then hosts, in inventory order.
func Reach(ctx context.Context, inv *Inventory, opts ReachOptions) []Readiness {
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.CheckHost == nil {
		opts.CheckHost = CheckHost
	}
	var jobs []reachJob
	for _, s := range inv.Services.Redis {
		jobs = append(jobs, reachJob{Readiness{Item: "redis/" + s.Name, Kind: "sentinel", Address: strings.Join(s.Sentinels, ",")},
			func(ctx context.Context) []Readiness { return CheckRedis(ctx, s) }})
	}
	for _, s := range inv.Services.Kafka {
		jobs = append(jobs, reachJob{Readiness{Item: "kafka/" + s.Name, Kind: "kafka", Address: strings.Join(s.Brokers, ",")},
			func(ctx context.Context) []Readiness { return []Readiness{CheckKafka(ctx, s)} }})
	}
	for _, s := range inv.Services.Cassandra {
		jobs = append(jobs, reachJob{Readiness{Item: "cassandra/" + s.Name, Kind: "cassandra", Address: strings.Join(s.ContactPoints, ",")},
			func(ctx context.Context) []Readiness { return []Readiness{CheckCassandra(ctx, s)} }})
	}
	for i, s := range inv.Services.Prometheus {
		jobs = append(jobs, reachJob{Readiness{Item: "prometheus/" + s.Name, Kind: "prometheus", Address: s.URL},
			func(ctx context.Context) []Readiness { return []Readiness{CheckPrometheus(ctx, inv, i, opts.Timeout)} }})
	}
	for _, s := range inv.Services.HTTP {
		jobs = append(jobs, reachJob{Readiness{Item: "http/" + s.Name, Kind: "http", Address: s.URL},
			func(ctx context.Context) []Readiness { return []Readiness{CheckHTTP(ctx, s, opts.Timeout)} }})
	}
	for _, s := range inv.Services.Command {
		if s.Host == "" && len(s.Command) > 0 {
			jobs = append(jobs, reachJob{Readiness{Item: "command/" + s.Name, Kind: "command", Address: "local"},
				func(context.Context) []Readiness { return []Readiness{CheckCommand(s)} }})
		}
	}
	if inv.Lab != nil && (inv.Lab.Control != "" || inv.Lab.Toxiproxy != "") {
		lab := *inv.Lab
		jobs = append(jobs, reachJob{Readiness{Item: "lab", Kind: "lab", Address: lab.Control},
			func(ctx context.Context) []Readiness { return CheckLab(ctx, lab) }})
	}
	for _, h := range inv.Hosts {
		jobs = append(jobs, reachJob{Readiness{Item: h.Name, Kind: "host", Address: h.Address},
			func(ctx context.Context) []Readiness { return []Readiness{opts.CheckHost(ctx, inv, h)} }})
	}
	results := make([][]Readiness, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			results[i] = job.bounded(ctx, opts.Timeout)
		})
	}
	wg.Wait()
	var out []Readiness
	for _, rs := range results {
		out = append(out, rs...)
	}
	return out
}

// reachJob is one unit of parallel work; row describes it for the report
// when it does not answer at all.
type reachJob struct {
	row Readiness
	run func(context.Context) []Readiness
}

// bounded runs the job under a deadline and gives up on it when the
// deadline passes even if the client library ignores its context (drivers
// differ in how faithfully they honour one), so one hung endpoint never
// holds up the table.
func (j reachJob) bounded(ctx context.Context, timeout time.Duration) []Readiness {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan []Readiness, 1)
	go func() { done <- j.run(ctx) }()
	select {
	case rs := <-done:
		return rs
	case <-ctx.Done():
		// Give the job a moment to report its own, more precise failure.
		select {
		case rs := <-done:
			return rs
		case <-time.After(200 * time.Millisecond):
			row := j.row
			row.Latency = timeout
			row.Detail = fmt.Sprintf("no answer within %s", timeout)
			return []Readiness{row}
		}
	}
}

// Timed runs f and fills the row's latency, status and detail from it:
// ok with f's detail, or failed with its error. Host checks outside
// targets (an SSH login) fill their rows with it too.
func Timed(row Readiness, f func() (string, error)) Readiness {
	start := time.Now()
	detail, err := f()
	row.Latency = time.Since(start)
	if err != nil {
		row.Detail = err.Error()
		return row
	}
	row.OK, row.Detail = true, detail
	return row
}
