package probes

import (
	"fmt"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// Prometheus queries are polled every 5 s by default: scrape intervals are
// 10–60 s in most setups, so polling faster shows nothing new, and a
// slower poll would add to the time to detect.
const (
	promInterval = 5 * time.Second
	promTimeout  = 2 * time.Second
)

// addPrometheus adds one prometheus.query probe per query of a Prometheus
// server.
func (s *Set) addPrometheus(svc targets.Prometheus, opts Options, add func(Probe, Config)) error {
	for _, q := range svc.Queries {
		cfg, ok, err := resolve(svc.Name, q.Name, q.ProbeConfig(), Config{Interval: promInterval, Timeout: promTimeout}, nil, opts)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := onlyMetrics(cfg, "value"); err != nil {
			return fmt.Errorf("service %s, query %s: %w", svc.Name, q.Name, err)
		}
		add(newPromQuery(svc, q, cfg), cfg)
	}
	return nil
}

// onlyMetrics refuses thresholds on metrics a probe does not measure, so
// that no threshold is silently never judged. "latency" stands for every
// latency metric (pNN, min, mean, max).
func onlyMetrics(cfg Config, metrics ...string) error {
	for _, t := range cfg.Thresholds {
		ok := false
		for _, m := range metrics {
			ok = ok || t.Metric == m || m == "latency" && t.Unit == "ms"
		}
		if !ok {
			return fmt.Errorf("threshold %q: this probe measures %s, not %s", t.Raw, strings.Join(metrics, ", "), t.Metric)
		}
	}
	return nil
}
