package probes

import (
	"github.com/gameday-dev/gameday/targets"
)

// addRedis adds the probes of one Sentinel-managed Redis deployment.
func (s *Set) addRedis(svc targets.Redis, opts Options, add func(Probe, Config)) error {
	cfg, ok, err := resolve(svc.Name, "latency", svc.Probes["latency"], Config{}, []string{"p99 < 50ms"}, opts)
	if err != nil {
		return err
	}
	if ok {
		cfg = withErrorBudget(cfg)
		add(newRedisLatency(svc, cfg, opts), cfg)
	}
	cfg, ok, err = resolve(svc.Name, "master", svc.Probes["master"], Config{}, []string{"master: stable"}, opts)
	if err != nil {
		return err
	}
	if ok {
		add(newSentinelMaster(svc, cfg, s.rec, opts), cfg)
	}
	return nil
}
