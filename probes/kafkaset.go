package probes

import (
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// DefaultCanaryTopic is the topic kafka.latency produces to and consumes
// from when the inventory names none.
const DefaultCanaryTopic = "gameday-canary"

// addKafka adds the probes of one Kafka cluster.
func (s *Set) addKafka(svc targets.Kafka, opts Options, add func(Probe, Config)) error {
	// Lag needs a metadata round and one offset request per partition;
	// with a broker cut, each dial to it costs a timeout before leadership
	// moves, so the poll gets more time than a single request would.
	cfg, ok, err := resolve(svc.Name, "lag", svc.Probes["lag"], Config{Interval: time.Second, Timeout: 5 * time.Second}, []string{"lag <= 1000"}, opts)
	if err != nil {
		return err
	}
	if ok {
		// Each network request still fails fast; the poll's longer budget
		// is for trying the other brokers.
		sc, err := saramaConfig(svc, min(cfg.Timeout, time.Second), opts.ClientName)
		if err != nil {
			return err
		}
		for _, g := range svc.Groups {
			if len(svc.Topics) == 0 {
				add(&kafkaLag{target: svc.Name + " " + g, group: g, cfg: cfg, conn: &kafkaClient{svc: svc, cfg: sc}}, cfg)
				continue
			}
			for _, t := range svc.Topics {
				add(&kafkaLag{target: svc.Name + " " + g + "/" + t, group: g, topic: t, cfg: cfg, conn: &kafkaClient{svc: svc, cfg: sc}}, cfg)
			}
		}
	}
	cfg, ok, err = resolve(svc.Name, "latency", svc.Probes["latency"], Config{}, []string{"p99 < 250ms"}, opts)
	if err != nil {
		return err
	}
	if ok {
		cfg = withErrorBudget(cfg)
		sc, err := saramaConfig(svc, cfg.Timeout, opts.ClientName)
		if err != nil {
			return err
		}
		add(newKafkaLatency(svc, cfg, sc, s.rec), cfg)
	}
	return nil
}
