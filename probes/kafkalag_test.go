package probes

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// startKfake starts an in-process Kafka cluster with the given topic.
func startKfake(t *testing.T, topic string, partitions int32) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func produceN(t *testing.T, brokers []string, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		// Keys spread the records over partitions.
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// consumeAndCommit joins group, reads exactly n records and commits them:
// a consumer that runs, then stops.
func consumeAndCommit(t *testing.T, brokers []string, group, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", got, n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		got += fs.NumRecords()
	}
	if got != n {
		t.Fatalf("consumed %d records, want exactly %d", got, n)
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func newLagProbe(t *testing.T, brokers []string, group, topic string) *kafkaLag {
	t.Helper()
	svc := targets.Kafka{Name: "test-kafka", Brokers: brokers}
	cfg := Config{Interval: 100 * time.Millisecond, Timeout: 2 * time.Second, Window: time.Second, Report: 100 * time.Millisecond}
	sc, err := saramaConfig(svc, cfg.Timeout, "gameday-test")
	if err != nil {
		t.Fatal(err)
	}
	p := &kafkaLag{target: "test-kafka " + group, group: group, topic: topic, cfg: cfg, conn: &kafkaClient{svc: svc, cfg: sc}}
	t.Cleanup(p.conn.close)
	return p
}

func measureLag(t *testing.T, p *kafkaLag) Reading {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := p.measure(ctx)
	if r.Status == StatusError {
		t.Fatalf("kafka.lag cannot measure: %s", r.Detail)
	}
	return r
}

func TestKafkaLagFollowsConsumer(t *testing.T) {
	const topic, group = "orders", "billing"
	c := startKfake(t, topic, 3)
	checkLagFollowsConsumer(t, c.ListenAddrs(), group, topic)
}

// checkLagFollowsConsumer is the lag of a consumer that catches up, stops
// and resumes, on kfake or a real Kafka (topic exists, empty).
func checkLagFollowsConsumer(t *testing.T, brokers []string, group, topic string) {
	t.Helper()
	produceN(t, brokers, topic, 12)
	consumeAndCommit(t, brokers, group, topic, 12)

	for name, p := range map[string]*kafkaLag{
		"one topic":        newLagProbe(t, brokers, group, topic),
		"committed topics": newLagProbe(t, brokers, group, ""),
	} {
		if r := measureLag(t, p); r.Value != 0 {
			t.Fatalf("%s: lag after the consumer caught up = %v, want 0", name, r.Value)
		}
	}
	p := newLagProbe(t, brokers, group, topic)

	// The consumer is stopped: N new records are N of lag, exactly.
	const n = 25
	produceN(t, brokers, topic, n)
	if r := measureLag(t, p); r.Value != n {
		t.Fatalf("lag with the consumer stopped after %d records = %v (%s), want %d", n, r.Value, r.Detail, n)
	}
	// Resumed, it drains to zero.
	consumeAndCommit(t, brokers, group, topic, n)
	if r := measureLag(t, p); r.Value != 0 {
		t.Fatalf("lag after the consumer resumed = %v (%s), want 0", r.Value, r.Detail)
	}
}

func TestKafkaLagWithoutCommitsCountsFromLogStart(t *testing.T) {
	const topic = "payments"
	c := startKfake(t, topic, 2)
	checkLagWithoutCommits(t, c.ListenAddrs(), topic)
}

// checkLagWithoutCommits is the lag of a group that never committed, on
// kfake or a real Kafka (topic exists, empty): counted from the log start.
func checkLagWithoutCommits(t *testing.T, brokers []string, topic string) {
	t.Helper()
	produceN(t, brokers, topic, 7)
	r := measureLag(t, newLagProbe(t, brokers, "never-committed", topic))
	if r.Value != 7 || !strings.Contains(r.Detail, "no commits yet") {
		t.Fatalf("lag of a group without commits = %v (%s), want 7 and \"no commits yet\"", r.Value, r.Detail)
	}
}

func TestSetKafkaLagJudgedOnTimeline(t *testing.T) {
	const topic, group = "orders", "billing"
	c := startKfake(t, topic, 1)
	produceN(t, c.ListenAddrs(), topic, 5)
	inv := &targets.Inventory{Services: targets.Services{Kafka: []targets.Kafka{{
		Name: "k", Brokers: c.ListenAddrs(), Topics: []string{topic}, Groups: []string{group},
		Probes: targets.Probes{
			"lag":     {Interval: 100 * time.Millisecond, Thresholds: []string{"lag <= 3"}},
			"latency": {Disabled: true},
		},
	}}}}
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(1000)
	set, err := NewSet(inv, rec, Options{Report: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Probes(); len(got) != 1 || got[0].Probe != "kafka.lag" || got[0].Target != "k billing/orders" {
		t.Fatalf("Probes() = %+v, want one kafka.lag on \"k billing/orders\"", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go set.Run(ctx)

	// 5 uncommitted records break "lag <= 3": a breach event names it.
	waitEvent(t, sub, timeline.ProbeBreach, "kafka.lag k billing/orders lag 5 breaches lag <= 3")
	if l := set.Latest(); l[0].Status != StatusBreach || l[0].Value != 5 {
		t.Fatalf("Latest = %+v, want a breach with lag 5", l[0])
	}
	consumeAndCommit(t, c.ListenAddrs(), group, topic, 5)
	waitEvent(t, sub, timeline.ProbeRecovered, "kafka.lag k billing/orders recovered: lag 0 holds lag <= 3")
}

// waitEvent reads sub until an event of kind whose summary contains text.
func waitEvent(t *testing.T, sub *timeline.Subscription, kind timeline.Kind, text string) timeline.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-sub.C():
			if ev.Kind == kind && strings.Contains(ev.Summary, text) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event containing %q", kind, text)
		}
	}
}
