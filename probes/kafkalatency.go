package probes

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// kafkaLatency is the kafka.latency probe: canary messages stamped with the
// time they were due are produced at a constant rate and consumed by a
// consumer that reads only new messages; the latency is consume time minus
// due time, so a stalled produce path shows in full. A message not consumed
// within its timeout counts as "lost".
type kafkaLatency struct {
	svc   targets.Kafka
	topic string
	cfg   Config
	sc    *sarama.Config
	run   string             // tells this run's canaries from older ones on the topic
	rec   *timeline.Recorder // for the canary partitions' leader moves; may be nil

	prodClient, consClient sarama.Client
	producer               sarama.SyncProducer
	// pmu guards consumer and parts: a partition consumer sarama shut
	// down is opened again (consume) while close may run.
	pmu      sync.Mutex
	consumer sarama.Consumer
	parts    []sarama.PartitionConsumer
	partIDs  []int32 // the partition each of parts consumes

	mu      sync.Mutex
	seq     int64
	pending map[int64]time.Time // sent, not yet consumed: seq → due
}

func newKafkaLatency(svc targets.Kafka, cfg Config, sc *sarama.Config, rec *timeline.Recorder) *kafkaLatency {
	topic := svc.CanaryTopic
	if topic == "" {
		topic = DefaultCanaryTopic
	}
	return &kafkaLatency{svc: svc, topic: topic, cfg: cfg, sc: sc, rec: rec,
		run: strconv.FormatInt(time.Now().UnixNano(), 36), pending: map[int64]time.Time{}}
}

// Name, Target and Run implement Probe.
func (p *kafkaLatency) Name() string   { return "kafka.latency" }
func (p *kafkaLatency) Target() string { return p.svc.Name + " " + p.topic }

// Run measures until ctx is done; see Probe.
func (p *kafkaLatency) Run(ctx context.Context, emit func(Reading)) {
	defer p.close()
	if !retryStart(ctx, p.Name(), p.Target(), p.cfg, 5*p.cfg.Timeout, p.start, emit) {
		return
	}
	w := NewWindow(p.cfg.Window)
	var wg sync.WaitGroup
	defer wg.Wait()
	if p.rec != nil {
		lw := &leaderWatch{service: p.svc.Name, topic: p.topic, client: p.prodClient, rec: p.rec, leaders: map[int32]int32{}}
		wctx, stopWatch := context.WithCancel(ctx)
		defer stopWatch() // before wg.Wait and close: the watch uses the client
		wg.Add(1)
		go func() { defer wg.Done(); lw.run(wctx, p.cfg.Report) }()
	}
	for i := range p.parts {
		wg.Go(func() { p.consume(ctx, i, w) })
	}
	paceAndReport(ctx, p.cfg, func(ctx context.Context, due time.Time) { p.send(ctx, due, w) },
		func(due time.Time) { w.Fail(due, "overflow") }, func(now time.Time) {
			p.expire(now, w)
			emit(fill(windowReading(now, w.Stats(now), nil), p.Name(), p.Target(), p.cfg))
		})
	// No send is in flight now (none may race the producer's Close), and
	// closing unblocks the consumers.
	p.close()
}

// start connects a producer and a consumer (separate clients, so a slow
// produce does not queue fetches behind it on one connection), creates the
// canary topic if it is missing, and starts consuming at the newest offset.
func (p *kafkaLatency) start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if p.prodClient, err = sarama.NewClient(p.svc.Brokers, p.sc); err != nil {
		return fmt.Errorf("connect to kafka %s: %w", p.svc.Name, err)
	}
	if err := ensureTopic(p.prodClient, p.topic); err != nil {
		return err
	}
	if p.consClient, err = sarama.NewClient(p.svc.Brokers, p.sc); err != nil {
		return fmt.Errorf("connect to kafka %s: %w", p.svc.Name, err)
	}
	if p.consumer, err = sarama.NewConsumerFromClient(p.consClient); err != nil {
		return fmt.Errorf("kafka %s consumer: %w", p.svc.Name, err)
	}
	parts, err := p.consClient.Partitions(p.topic)
	if err != nil {
		return fmt.Errorf("partitions of %s: %w", p.topic, err)
	}
	p.partIDs = parts
	for _, part := range parts {
		pc, err := p.consumer.ConsumePartition(p.topic, part, sarama.OffsetNewest)
		if err != nil {
			return fmt.Errorf("consume %s/%d: %w", p.topic, part, err)
		}
		p.parts = append(p.parts, pc)
	}
	if p.producer, err = sarama.NewSyncProducerFromClient(p.prodClient); err != nil {
		return fmt.Errorf("kafka %s producer: %w", p.svc.Name, err)
	}
	// Warm up: the first message pays for metadata and connections, and
	// its consumption for the consumer's first fetch; neither is the
	// latency of Kafka, and left in, that one slow canary would be the
	// first window's p99 at every start.
	warm := &sarama.ProducerMessage{Topic: p.topic, Value: sarama.StringEncoder("gameday-canary warm-up")}
	part, off, err := p.producer.SendMessage(warm)
	if err != nil {
		return fmt.Errorf("produce to canary topic %s: %w", p.topic, err)
	}
	for i, pc := range p.parts {
		if parts[i] != part {
			continue
		}
		for {
			select {
			case m := <-pc.Messages():
				if m != nil && m.Offset >= off {
					return ctx.Err()
				}
			case <-ctx.Done():
				return fmt.Errorf("kafka %s: the warm-up canary was not consumed: %w", p.svc.Name, ctx.Err())
			}
		}
	}
	return ctx.Err()
}

// ensureTopic creates topic (one partition) unless it exists.
func ensureTopic(client sarama.Client, topic string) error {
	if err := client.RefreshMetadata(topic); err == nil {
		if ps, err := client.Partitions(topic); err == nil && len(ps) > 0 {
			return nil
		}
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("kafka admin: %w", err)
	}
	rf := int16(min(3, len(client.Brokers())))
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: max(rf, 1)}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("create canary topic %s: %w", topic, err)
	}
	if err := client.RefreshMetadata(topic); err != nil {
		return fmt.Errorf("metadata of canary topic %s: %w", topic, err)
	}
	return nil
}

// send produces one canary due at due.
func (p *kafkaLatency) send(ctx context.Context, due time.Time, w *Window) {
	p.mu.Lock()
	p.seq++
	seq := p.seq
	p.pending[seq] = due
	p.mu.Unlock()
	value := fmt.Sprintf("gameday-canary %s %d %d", p.run, seq, due.UnixNano())
	_, _, err := p.producer.SendMessage(&sarama.ProducerMessage{Topic: p.topic, Value: sarama.StringEncoder(value)})
	if err == nil || ctx.Err() != nil {
		return
	}
	if _, still := p.settle(seq); still {
		w.Fail(time.Now(), classifyKafka(err))
	}
}

// settle takes canary seq out of the pending ones: it counts once, as
// consumed, failed or lost, whichever comes first. ok is false when it
// was already counted.
func (p *kafkaLatency) settle(seq int64) (due time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	due, ok = p.pending[seq]
	delete(p.pending, seq)
	return due, ok
}

// consume records the latency of every canary of this run read from
// partition i. Sarama shuts a partition consumer down on an error it will
// not retry — offset out of range, when a broker comes back from a full
// disk with a shorter log and leads again — so consume opens it again at
// the newest offset: left closed, every later canary would count as lost
// although Kafka is well again (seen on the real lab after a disk-fill).
func (p *kafkaLatency) consume(ctx context.Context, i int, w *Window) {
	p.pmu.Lock()
	pc := p.parts[i]
	p.pmu.Unlock()
	for pc != nil {
		go func(pc sarama.PartitionConsumer) {
			for range pc.Errors() {
				// Consumer errors surface as lost canaries; draining keeps
				// the partition consumer from blocking.
			}
		}(pc)
		p.read(ctx, pc, w)
		pc = p.reopen(ctx, i)
	}
}

// reopen consumes partition i again from the newest offset, retrying each
// report interval; nil once ctx is done or the probe closed.
func (p *kafkaLatency) reopen(ctx context.Context, i int) sarama.PartitionConsumer {
	for ctx.Err() == nil {
		p.pmu.Lock()
		if p.consumer == nil {
			p.pmu.Unlock()
			return nil
		}
		pc, err := p.consumer.ConsumePartition(p.topic, p.partIDs[i], sarama.OffsetNewest)
		if err == nil {
			p.parts[i] = pc
		}
		p.pmu.Unlock()
		if err == nil {
			return pc
		}
		select {
		case <-ctx.Done():
		case <-time.After(p.cfg.Report):
		}
	}
	return nil
}

// read records the latency of every canary of this run that pc delivers,
// until pc is closed or ctx is done.
func (p *kafkaLatency) read(ctx context.Context, pc sarama.PartitionConsumer, w *Window) {
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-pc.Messages():
			if !ok {
				return
			}
			now := time.Now()
			f := strings.Fields(string(m.Value))
			if len(f) != 4 || f[0] != "gameday-canary" || f[1] != p.run {
				continue
			}
			seq, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				continue
			}
			if due, ok := p.settle(seq); ok {
				w.Observe(now, now.Sub(due), 0)
			}
		}
	}
}

// expire counts canaries not consumed within the probe's timeout (plus
// the producer's own bound) as lost.
func (p *kafkaLatency) expire(now time.Time, w *Window) {
	limit := 2 * p.cfg.Timeout
	p.mu.Lock()
	var lost []time.Time
	for seq, due := range p.pending {
		if now.Sub(due) > limit {
			delete(p.pending, seq)
			lost = append(lost, due)
		}
	}
	p.mu.Unlock()
	for range lost {
		w.Fail(now, "lost")
	}
}

func (p *kafkaLatency) close() {
	p.pmu.Lock()
	for _, pc := range p.parts {
		pc.AsyncClose()
	}
	p.parts = nil
	if p.consumer != nil {
		_ = p.consumer.Close()
		p.consumer = nil
	}
	p.pmu.Unlock()
	if p.producer != nil {
		_ = p.producer.Close()
		p.producer = nil
	}
	for _, c := range []*sarama.Client{&p.prodClient, &p.consClient} {
		if *c != nil {
			_ = (*c).Close()
			*c = nil
		}
	}
}

// classifyKafka names produce failure classes.
func classifyKafka(err error) string {
	var kerr sarama.KError
	switch {
	case errors.Is(err, sarama.ErrNotLeaderForPartition), errors.Is(err, sarama.ErrLeaderNotAvailable):
		return "no_leader"
	case errors.Is(err, sarama.ErrNotEnoughReplicas), errors.Is(err, sarama.ErrNotEnoughReplicasAfterAppend):
		return "not_enough_replicas"
	case errors.Is(err, sarama.ErrOutOfBrokers):
		return "no_brokers"
	case errors.As(err, &kerr):
		return fmt.Sprintf("kafka_error_%d", int16(kerr))
	}
	return classifyGeneric(err)
}
