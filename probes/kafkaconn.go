package probes

import (
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/gameday-dev/gameday/targets"
)

// saramaConfig returns a sarama configuration that fails fast: short
// network timeouts and almost no retries, so that a broker fault shows in
// the probe instead of being absorbed by the client.
func saramaConfig(svc targets.Kafka, timeout time.Duration, clientID string) (*sarama.Config, error) {
	cfg := sarama.NewConfig()
	cfg.ClientID = clientID
	cfg.Version = sarama.V2_8_0_0
	if svc.Version != "" {
		v, err := sarama.ParseKafkaVersion(svc.Version)
		if err != nil {
			return nil, fmt.Errorf("kafka %s: version %q: %w", svc.Name, svc.Version, err)
		}
		cfg.Version = v
	}
	cfg.Net.DialTimeout = timeout
	cfg.Net.ReadTimeout = timeout
	cfg.Net.WriteTimeout = timeout
	// One metadata try per broker: a cut broker tried first must not end
	// the refresh before a live one is asked for the new leaders.
	cfg.Metadata.Retry.Max = max(1, len(svc.Brokers))
	cfg.Metadata.Retry.Backoff = 50 * time.Millisecond
	cfg.Metadata.Timeout = 2 * timeout
	cfg.Admin.Retry.Max = 1
	cfg.Admin.Retry.Backoff = 50 * time.Millisecond
	cfg.Admin.Timeout = timeout
	cfg.Producer.Retry.Max = 0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Timeout = timeout
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 50 * time.Millisecond
	return cfg, nil
}

// kafkaClient connects lazily and reconnects after the client was closed,
// so that a probe starts (and keeps reporting errors) while the brokers
// are down instead of failing to start.
type kafkaClient struct {
	mu     sync.Mutex
	svc    targets.Kafka
	cfg    *sarama.Config
	client sarama.Client
	admin  sarama.ClusterAdmin
}

func (k *kafkaClient) get() (sarama.Client, sarama.ClusterAdmin, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client != nil && !k.client.Closed() {
		return k.client, k.admin, nil
	}
	c, err := sarama.NewClient(k.svc.Brokers, k.cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to kafka %s: %w", k.svc.Name, err)
	}
	a, err := sarama.NewClusterAdminFromClient(c)
	if err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("kafka %s admin: %w", k.svc.Name, err)
	}
	k.client, k.admin = c, a
	return c, a, nil
}

func (k *kafkaClient) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client != nil {
		_ = k.client.Close()
		k.client, k.admin = nil, nil
	}
}
