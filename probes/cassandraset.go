package probes

import (
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// addCassandra adds cassandra.quorum for one Cassandra cluster, and
// cassandra.integrity when the inventory asks for it.
func (s *Set) addCassandra(svc targets.Cassandra, opts Options, add func(Probe, Config)) error {
	cfg, ok, err := resolve(svc.Name, "quorum", svc.Probes["quorum"], Config{}, []string{"success >= 99.9%"}, opts)
	if err != nil {
		return err
	}
	if ok {
		p, err := newCassandraQuorum(svc, cfg, s.rec, opts)
		if err != nil {
			return err
		}
		add(p, cfg)
	}
	return s.addCassandraIntegrity(svc, opts, add)
}

// addCassandraIntegrity adds cassandra.integrity, which writes a fresh row
// through two coordinators every round, only when the inventory configures
// it: it needs two contact points and its own table.
func (s *Set) addCassandraIntegrity(svc targets.Cassandra, opts Options, add func(Probe, Config)) error {
	pc, configured := svc.Probes["integrity"]
	if !configured {
		return nil
	}
	cfg, ok, err := resolve(svc.Name, "integrity", pc, Config{Rate: 2, Timeout: 2 * time.Second}, []string{"lost == 0"}, opts)
	if err != nil || !ok {
		return err
	}
	p, err := newCassandraIntegrity(svc, cfg, opts)
	if err != nil {
		return err
	}
	add(p, cfg)
	return nil
}
