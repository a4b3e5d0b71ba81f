package probes

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Set is every probe an inventory calls for, each judged against its
// thresholds and recorded on the timeline.
type Set struct {
	rec     *timeline.Recorder
	entries []*entry
	// ownPool is the SSH pool of command probes when the caller gave
	// none; Run closes it.
	ownPool *sshx.Pool
}

type entry struct {
	probe   Probe
	cfg     Config
	judge   *judge
	service targets.ServiceRef // the service it watches

	mu     sync.Mutex
	latest Reading
	// rows are the other targets a probe reports on (the series of a
	// PromQL query), each judged on its own.
	rows rows
	// observe, when set (before Run), also gets every judged Reading: a
	// baseline's collector, which must miss none.
	observe func(Reading)
}

// NewSet builds the probes for every service of inv: redis.latency and
// sentinel.master per Redis deployment, kafka.lag per consumer group (and
// topic, when topics are listed) and kafka.latency per Kafka cluster,
// cassandra.quorum per Cassandra cluster, prometheus.query per PromQL
// query, http.latency per HTTP endpoint, command.run per command. Probes
// an inventory does not
// configure get their defaults; disabled ones are left out. rec may be nil.
// It connects to nothing: probes connect when they run, so a service that
// is down shows as an error reading rather than a failure to start.
func NewSet(inv *targets.Inventory, rec *timeline.Recorder, opts Options) (*Set, error) {
	if inv == nil {
		return nil, fmt.Errorf("probes: no inventory")
	}
	if opts.Report <= 0 {
		opts.Report = DefaultReport
	}
	if opts.ClientName == "" {
		opts.ClientName = "gameday"
	}
	routeDriverLogs(opts.DriverLog)
	return newSet(inv, rec, opts)
}

// newSet is NewSet without touching the drivers' process-wide loggers.
func newSet(inv *targets.Inventory, rec *timeline.Recorder, opts Options) (*Set, error) {
	s := &Set{rec: rec}
	// add returns the function a service's builder adds its probes with,
	// so that each probe knows the service it watches.
	add := func(kind, name string) func(Probe, Config) {
		return func(p Probe, cfg Config) {
			s.entries = append(s.entries, &entry{
				probe: p, cfg: cfg, judge: &judge{thresholds: cfg.Thresholds, rec: rec, last: StatusPending},
				latest:  Reading{Probe: p.Name(), Target: p.Target(), Status: StatusPending, Window: Duration(cfg.Window)},
				service: targets.ServiceRef{Kind: kind, Name: name},
			})
		}
	}
	for _, svc := range inv.Services.Redis {
		if err := s.addRedis(svc, opts, add("redis", svc.Name)); err != nil {
			return nil, err
		}
	}
	for _, svc := range inv.Services.Kafka {
		if err := s.addKafka(svc, opts, add("kafka", svc.Name)); err != nil {
			return nil, err
		}
	}
	for _, svc := range inv.Services.Cassandra {
		if err := s.addCassandra(svc, opts, add("cassandra", svc.Name)); err != nil {
			return nil, err
		}
	}
	for _, svc := range inv.Services.Prometheus {
		if err := s.addPrometheus(svc, opts, add("prometheus", svc.Name)); err != nil {
			return nil, err
		}
	}
	for _, svc := range inv.Services.HTTP {
		if err := s.addHTTP(svc, opts, add("http", svc.Name)); err != nil {
			return nil, err
		}
	}
	for _, svc := range inv.Services.Command {
		if err := s.addCommand(inv, svc, opts, add("command", svc.Name)); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(s.entries, func(i, j int) bool {
		a, b := s.entries[i].probe, s.entries[j].probe
		if a.Name() != b.Name() {
			return a.Name() < b.Name()
		}
		return a.Target() < b.Target()
	})
	return s, nil
}

// resolve applies defaults and opts to the inventory's configuration of
// one probe; ok is false when the probe is disabled.
func resolve(service, probe string, pc targets.ProbeConfig, def Config, defThresholds []string, opts Options) (Config, bool, error) {
	if pc.Disabled {
		return Config{}, false, nil
	}
	c := def
	if pc.Rate > 0 {
		c.Rate = pc.Rate
	}
	if pc.Interval > 0 {
		c.Interval = pc.Interval
	}
	if pc.Timeout > 0 {
		c.Timeout = pc.Timeout
	}
	if pc.Window > 0 {
		c.Window = pc.Window
	}
	if opts.Window > 0 {
		c.Window = opts.Window
	}
	c.Report = opts.Report
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	texts := pc.Thresholds
	if len(texts) == 0 {
		texts = defThresholds
	}
	for _, t := range texts {
		th, err := newThreshold(t)
		if err != nil {
			return Config{}, false, fmt.Errorf("service %s, probe %s: %w", service, probe, err)
		}
		c.Thresholds = append(c.Thresholds, th)
	}
	return c, true, nil
}

// Run runs every probe until ctx is done, each in its own goroutine, and
// returns once they have stopped (or 2 s after ctx ended, for a probe
// stuck in a driver call that ignores its context).
func (s *Set) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, e := range s.entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.probe.Run(ctx, e.emit)
		}()
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	if s.ownPool != nil {
		_ = s.ownPool.Close()
	}
}

// emit judges one Reading and keeps it as the latest of its target.
func (e *entry) emit(r Reading) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.Target != e.probe.Target() {
		r = e.rows.emit(r, e.judge)
	} else {
		r = e.judge.apply(r)
		e.latest = r
	}
	if e.observe != nil {
		e.observe(r)
	}
}

// Latest returns the last Reading of every probe, sorted by probe and
// target, each probe's extra rows (the series of a PromQL query) right
// after it; probes without a closed window yet are pending.
func (s *Set) Latest() []Reading {
	out := make([]Reading, 0, len(s.entries))
	for _, e := range s.entries {
		e.mu.Lock()
		out = append(out, e.latest)
		out = e.rows.appendLatest(out)
		e.mu.Unlock()
	}
	return out
}

// Probes describes every probe of the set, in the order of Latest.
func (s *Set) Probes() []Info {
	out := make([]Info, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.info()
	}
	return out
}

func (e *entry) info() Info {
	in := Info{Probe: e.probe.Name(), Target: e.probe.Target(), Window: Duration(e.cfg.Window)}
	for _, t := range e.cfg.Thresholds {
		in.Thresholds = append(in.Thresholds, t.Raw)
	}
	return in
}

// MaxWindow is the longest window of any probe: how long to wait for every
// probe to have summarised one full window.
func (s *Set) MaxWindow() time.Duration {
	var m time.Duration
	for _, e := range s.entries {
		m = max(m, e.cfg.Window)
	}
	return m
}
