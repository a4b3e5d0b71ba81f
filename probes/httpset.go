package probes

import (
	"fmt"

	"github.com/gameday-dev/gameday/targets"
)

// addHTTP adds http.latency for one HTTP endpoint.
func (s *Set) addHTTP(svc targets.HTTP, opts Options, add func(Probe, Config)) error {
	cfg, ok, err := resolve(svc.Name, "latency", svc.Probes["latency"], Config{}, []string{"p99 < 1s"}, opts)
	if err != nil || !ok {
		return err
	}
	if err := onlyMetrics(cfg, "latency", "success", "errors", "rate"); err != nil {
		return fmt.Errorf("service %s, probe latency: %w", svc.Name, err)
	}
	cfg = withErrorBudget(cfg)
	add(newHTTPLatency(svc, cfg), cfg)
	return nil
}
