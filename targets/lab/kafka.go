package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka names used by the lab.
const (
	KafkaTopic      = "events"
	KafkaPartitions = 6
	KafkaGroup      = "lab-consumers"
	kafkaBrokers    = 3
	produceEvery    = 20 * time.Millisecond // 50 msg/s
)

// kafkaLab is three in-process kfake brokers, each behind a gate, with a
// steady producer and a committing consumer group.
type kafkaLab struct {
	cluster *kfake.Cluster
	gates   []*gate
	addrs   []string

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	producer  *kgo.Client
	consumer  *kgo.Client
	admin     *kgo.Client
	closeOnce sync.Once
}

func startKafka() (*kafkaLab, error) {
	k := &kafkaLab{}
	var mu sync.Mutex
	listen := func(network, addr string) (net.Listener, error) {
		l, err := net.Listen(network, addr)
		if err != nil {
			return nil, err
		}
		g := newGate(l)
		mu.Lock()
		k.gates = append(k.gates, g)
		mu.Unlock()
		return g, nil
	}
	// Port 0 for each broker: kfake listens on 127.0.0.1:0, and brokers are
	// created in order, so gate i belongs to node i.
	c, err := kfake.NewCluster(
		kfake.Ports(make([]int, kafkaBrokers)...),
		kfake.ListenFn(listen),
		kfake.SeedTopics(KafkaPartitions, KafkaTopic),
	)
	if err != nil {
		return nil, fmt.Errorf("start kfake brokers: %w", err)
	}
	k.cluster = c
	for _, g := range k.gates {
		k.addrs = append(k.addrs, g.Addr().String())
	}
	opts := []kgo.Opt{kgo.SeedBrokers(k.addrs...), kgo.ClientID("gameday-lab")}
	if k.producer, err = kgo.NewClient(append(opts, kgo.DefaultProduceTopic(KafkaTopic), kgo.ProducerLinger(5*time.Millisecond))...); err != nil {
		k.close()
		return nil, fmt.Errorf("start the lab producer: %w", err)
	}
	if k.consumer, err = kgo.NewClient(append(opts,
		kgo.ConsumerGroup(KafkaGroup),
		kgo.ConsumeTopics(KafkaTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AutoCommitInterval(500*time.Millisecond),
		kgo.FetchMaxWait(250*time.Millisecond),
	)...); err != nil {
		k.close()
		return nil, fmt.Errorf("start the lab consumer: %w", err)
	}
	if k.admin, err = kgo.NewClient(opts...); err != nil {
		k.close()
		return nil, fmt.Errorf("start the lab admin client: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k.cancel = cancel
	k.wg.Add(2)
	go k.produce(ctx)
	go k.consume(ctx)
	return k, nil
}

// produce sends one small record every produceEvery. TryProduce never
// blocks: while a broker is cut the buffer fills and records are dropped,
// as a real producer with a bounded buffer would.
func (k *kafkaLab) produce(ctx context.Context) {
	defer k.wg.Done()
	t := time.NewTicker(produceEvery)
	defer t.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n++
			k.producer.TryProduce(ctx, &kgo.Record{Value: []byte("event " + strconv.Itoa(n))}, nil)
		}
	}
}

// consume polls and lets auto-commit commit what it polled.
func (k *kafkaLab) consume(ctx context.Context) {
	defer k.wg.Done()
	for ctx.Err() == nil {
		k.consumer.PollFetches(ctx)
	}
}

// setCut cuts or heals broker node (0-based).
func (k *kafkaLab) setCut(node int, cut bool) error {
	if node < 0 || node >= len(k.gates) {
		return fmt.Errorf("no kafka broker %d", node)
	}
	k.gates[node].set(cut)
	return nil
}

// Lag returns the group's total lag on the topic: the sum over partitions
// of high watermark minus committed offset (a partition without a commit
// counts from 0). committed reports whether any partition has a commit.
func (k *kafkaLab) lag(ctx context.Context) (lag int64, committed bool, err error) {
	return kafkaLag(ctx, k.admin, KafkaGroup, KafkaTopic)
}

// kafkaLag computes a group's lag on one topic with a kgo client.
func kafkaLag(ctx context.Context, cl *kgo.Client, group, topic string) (int64, bool, error) {
	of := kmsg.NewPtrOffsetFetchRequest()
	of.Group = group
	ot := kmsg.NewOffsetFetchRequestTopic()
	ot.Topic = topic
	for p := range int32(KafkaPartitions) {
		ot.Partitions = append(ot.Partitions, p)
	}
	of.Topics = append(of.Topics, ot)
	ofr, err := of.RequestWith(ctx, cl)
	if err != nil {
		return 0, false, fmt.Errorf("fetch committed offsets of %s: %w", group, err)
	}
	if err := kerr.ErrorForCode(ofr.ErrorCode); err != nil {
		return 0, false, fmt.Errorf("fetch committed offsets of %s: %w", group, err)
	}
	commits := map[int32]int64{}
	committed := false
	for _, t := range ofr.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return 0, false, fmt.Errorf("committed offset of %s/%d: %w", topic, p.Partition, err)
			}
			if p.Offset >= 0 {
				commits[p.Partition] = p.Offset
				committed = true
			}
		}
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	for p := range int32(KafkaPartitions) {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition = p
		lp.Timestamp = -1 // latest: the high watermark
		lt.Partitions = append(lt.Partitions, lp)
	}
	lo.Topics = append(lo.Topics, lt)
	lor, err := lo.RequestWith(ctx, cl)
	if err != nil {
		return 0, false, fmt.Errorf("list high watermarks of %s: %w", topic, err)
	}
	var lag int64
	seen := 0
	for _, t := range lor.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return 0, false, fmt.Errorf("high watermark of %s/%d: %w", topic, p.Partition, err)
			}
			seen++
			if d := p.Offset - commits[p.Partition]; d > 0 {
				lag += d
			}
		}
	}
	if seen != KafkaPartitions {
		return 0, false, errors.New("high watermarks: not every partition answered")
	}
	return lag, committed, nil
}

func (k *kafkaLab) close() {
	k.closeOnce.Do(func() {
		if k.cancel != nil {
			k.cancel()
		}
		k.wg.Wait()
		// Heal every gate first so clients can leave the group cleanly.
		for _, g := range k.gates {
			g.set(false)
		}
		for _, c := range []*kgo.Client{k.consumer, k.producer, k.admin} {
			if c != nil {
				c.Close()
			}
		}
		if k.cluster != nil {
			k.cluster.Close()
		}
	})
}
