package probes

import (
	"github.com/gameday-dev/gameday/targets"
)

// addCassandra adds cassandra.quorum for one Cassandra cluster.
func (s *Set) addCassandra(svc targets.Cassandra, opts Options, add func(Probe, Config)) error {
	cfg, ok, err := resolve(svc.Name, "quorum", svc.Probes["quorum"], Config{}, []string{"success >= 99.9%"}, opts)
	if err != nil || !ok {
		return err
	}
	p, err := newCassandraQuorum(svc, cfg, s.rec, opts)
	if err != nil {
		return err
	}
	add(p, cfg)
	return nil
}
