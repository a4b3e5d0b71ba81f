package jvm

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// requireReal skips outside the real-cluster stage (make test-real), which
// CI runs after the fast suite.
func requireReal(t *testing.T) {
	t.Helper()
	if os.Getenv("GAMEDAY_REAL") != "1" {
		t.Skip("real Kafka/Cassandra stage: run `make test-real` (GAMEDAY_REAL=1)")
	}
}

// startLimit bounds a cluster's start: a hang, not a performance check.
// On 2 cores shared with others a Cassandra node took 4.5 min to join.
const startLimit = 10 * time.Minute

func TestRealKafkaCluster(t *testing.T) {
	requireReal(t)
	ctx, cancel := context.WithTimeout(context.Background(), startLimit)
	defer cancel()
	c, err := StartKafka(ctx, Options{Dir: t.TempDir(), Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	admin, err := sarama.NewClusterAdmin(c.Endpoints(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	brokers, _, err := admin.DescribeCluster()
	if err != nil {
		t.Fatal(err)
	}
	if len(brokers) != 3 {
		t.Fatalf("cluster reports %d brokers, want 3", len(brokers))
	}
	if err := admin.CreateTopic("probe", &sarama.TopicDetail{NumPartitions: 6, ReplicationFactor: 3}, false); err != nil {
		t.Fatal(err)
	}
	pids := map[int]bool{}
	for _, n := range c.Nodes {
		pids[n.PID()] = true
	}
	c.Stop()
	for pid := range pids {
		if pid == 0 {
			t.Fatal("a node had no pid")
		}
		if _, err := os.Stat("/proc/" + itoa(pid)); err == nil {
			t.Fatalf("kafka JVM %d still running after Stop", pid)
		}
	}
}

func TestRealCassandraCluster(t *testing.T) {
	requireReal(t)
	ctx, cancel := context.WithTimeout(context.Background(), startLimit)
	defer cancel()
	c, err := StartCassandra(ctx, Options{Dir: t.TempDir(), FaketimeNode: 3, Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	cl := gocql.NewCluster(c.Endpoints()...)
	cl.Timeout = 10 * time.Second
	cl.ConnectTimeout = 10 * time.Second
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Query(`CREATE KEYSPACE IF NOT EXISTS lab WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`).Exec(); err != nil {
		t.Fatal(err)
	}
	if err := s.Query(`CREATE TABLE IF NOT EXISTS lab.kv (k text PRIMARY KEY, v text)`).Exec(); err != nil {
		t.Fatal(err)
	}
	// Reading at ALL needs every node to know the table.
	if err := s.AwaitSchemaAgreement(ctx); err != nil {
		t.Fatalf("schema agreement after creating lab.kv: %v", err)
	}
	if err := s.Query(`INSERT INTO lab.kv (k, v) VALUES ('a', 'b')`).Consistency(gocql.Quorum).Exec(); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := s.Query(`SELECT v FROM lab.kv WHERE k = 'a'`).Consistency(gocql.All).Scan(&v); err != nil || v != "b" {
		t.Fatalf("read at ALL: %q, %v", v, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
