package probes

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gameday-dev/gameday/targets/lab/jvm"
)

// requireReal skips outside the real-cluster stage (make test-real).
func requireReal(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("real Kafka/Cassandra stage: not in -short")
	}
	if os.Getenv("GAMEDAY_REAL") != "1" {
		t.Skip("real Kafka/Cassandra stage: run make test-real (GAMEDAY_REAL=1)")
	}
}

// TestRealKafkaLag runs kafka.lag's kfake scenarios against a real 3-broker
// Apache Kafka (KRaft): a real broker answers a group that never committed
// with offset -1 rather than kfake's GROUP_ID_NOT_FOUND, and both must
// count from the log start.
func TestRealKafkaLag(t *testing.T) {
	requireReal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := jvm.StartKafka(ctx, jvm.Options{Dir: t.TempDir(), Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	brokers := c.Endpoints()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for topic, parts := range map[string]int32{"orders": 3, "payments": 2} {
		if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: parts, ReplicationFactor: 3}, false); err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
	}
	t.Run("follows the consumer", func(t *testing.T) { checkLagFollowsConsumer(t, brokers, "billing", "orders") })
	t.Run("no commits counts from log start", func(t *testing.T) { checkLagWithoutCommits(t, brokers, "payments") })
}
