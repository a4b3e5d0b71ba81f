package probes

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gameday-dev/gameday/targets"
)

// runKafkaLatency runs kafka.latency against brokers and returns the
// first Reading for which done returns true.
func runKafkaLatency(t *testing.T, brokers []string, done func(Reading) bool) Reading {
	t.Helper()
	svc := targets.Kafka{Name: "k", Brokers: brokers}
	cfg := Config{Rate: 10, Timeout: 3 * time.Second, Window: 2 * time.Second, Report: 200 * time.Millisecond}
	sc, err := saramaConfig(svc, cfg.Timeout, "gameday-test")
	if err != nil {
		t.Fatal(err)
	}
	p := newKafkaLatency(svc, cfg, sc, nil)
	ctx, cancel := context.WithCancel(context.Background())
	readings := make(chan Reading, 1000)
	stopped := make(chan struct{})
	go func() { defer close(stopped); p.Run(ctx, func(r Reading) { readings <- r }) }()
	defer func() { cancel(); <-stopped }()
	deadline := time.After(20 * time.Second)
	var last Reading
	for {
		select {
		case r := <-readings:
			last = r
			if done(r) {
				return r
			}
		case <-deadline:
			t.Fatalf("kafka.latency never reached the wanted state; last reading %+v", last)
		}
	}
}

func TestKafkaLatencyCreatesCanaryAndMeasures(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := runKafkaLatency(t, c.ListenAddrs(), func(r Reading) bool { return r.Count-r.Errors >= 10 })
	if r.Status == StatusError || r.P99 <= 0 || r.P99 >= 500 {
		t.Fatalf("undisturbed kafka.latency: %+v, want a fast measurable p99", r)
	}
	if r.Target != "k "+DefaultCanaryTopic {
		t.Errorf("target %q, want the default canary topic", r.Target)
	}
}

func TestKafkaLatencyShowsSlowProduce(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, DefaultCanaryTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Every Produce request is held 500 ms before the broker handles it;
	// SleepControl lets the broker serve fetches meanwhile.
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { time.Sleep(500 * time.Millisecond) })
		return nil, nil, false
	})
	r := runKafkaLatency(t, c.ListenAddrs(), func(r Reading) bool { return r.Count-r.Errors >= 10 })
	if r.P99 < 500 {
		t.Fatalf("kafka.latency with a 500 ms produce delay: p99 %.1fms (%+v), want ≥ 500ms", r.P99, r)
	}
	t.Logf("with 500 ms produce delay: p50 %.0fms p99 %.0fms over %d canaries", r.P50, r.P99, r.Count)
}
