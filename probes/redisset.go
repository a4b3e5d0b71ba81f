package probes

import (
	"github.com/gameday-dev/gameday/targets"
)

// addRedis adds the probes of one Sentinel-managed Redis deployment:
// redis.latency and sentinel.master, and redis.integrity when configured.
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
	// redis.integrity writes keys of its own into the deployment: only
	// when the inventory asks for it.
	if pc, configured := svc.Probes["integrity"]; configured {
		cfg, ok, err = resolve(svc.Name, "integrity", pc, Config{}, []string{"lost == 0"}, opts)
		if err != nil {
			return err
		}
		if ok {
			add(newRedisIntegrity(svc, cfg, opts), cfg)
		}
	}
	return nil
}
