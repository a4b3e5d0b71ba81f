package probes

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
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

// TestKafkaLatencyRecoversFromOffsetOutOfRange: a broker that comes back
// from a full disk with a shorter log answers the consumer's fetch with
// OFFSET_OUT_OF_RANGE, on which sarama shuts the partition consumer down.
// The probe must consume again from the newest offset: canaries produced
// afterwards are measured, not counted as lost for ever.
func TestKafkaLatencyRecoversFromOffsetOutOfRange(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, DefaultCanaryTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var measured atomic.Bool
	var injected atomic.Int64 // when, in Unix nanoseconds
	c.ControlKey(int16(kmsg.Fetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !measured.Load() || injected.Load() != 0 {
			return nil, nil, false
		}
		injected.Store(time.Now().UnixNano())
		req := kreq.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.OffsetOutOfRange.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	var lost int64
	r := runKafkaLatency(t, c.ListenAddrs(), func(r Reading) bool {
		if !measured.Load() {
			measured.Store(r.Count-r.Errors >= 5)
			return false
		}
		at := injected.Load()
		if at == 0 {
			return false
		}
		lost = max(lost, r.ErrorClasses["lost"])
		// A whole window after the out-of-range fetch, every canary
		// measured and none lost. Without a new partition consumer, every
		// canary from the fetch on is lost.
		return r.Time.Sub(time.Unix(0, at)) > 2*time.Duration(r.Window) && r.Errors == 0 && r.Count >= 10
	})
	t.Logf("after OFFSET_OUT_OF_RANGE: %d canaries measured again in a window, p99 %.0fms (at most %d lost in a window while it reopened)", r.Count, r.P99, lost)
}
