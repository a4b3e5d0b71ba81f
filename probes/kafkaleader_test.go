package probes

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Moving the canary partition's leader to another broker records one
// kafka.leader event naming both brokers; polls that see no move record
// nothing.
func TestLeaderWatchRecordsMoves(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(1, DefaultCanaryTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	svc := targets.Kafka{Name: "bus", Brokers: c.ListenAddrs()}
	sc, err := saramaConfig(svc, 3*time.Second, "gameday-test")
	if err != nil {
		t.Fatal(err)
	}
	client, err := sarama.NewClient(svc.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	rec := timeline.NewRecorder()
	sub := rec.Subscribe(100)
	w := &leaderWatch{service: "bus", topic: DefaultCanaryTopic, client: client, rec: rec, leaders: map[int32]int32{}}
	w.poll(time.Now())
	w.poll(time.Now())
	old := c.LeaderFor(DefaultCanaryTopic, 0)
	if got, ok := w.leaders[0]; !ok || got != old {
		t.Fatalf("the watch knows leader %d (%v), want %d", got, ok, old)
	}
	to := (old + 1) % 3
	if err := c.MoveTopicPartition(DefaultCanaryTopic, 0, to); err != nil {
		t.Fatal(err)
	}
	w.poll(time.Now())
	w.poll(time.Now())
	rec.Close()
	var moves []*timeline.LeaderData
	for e := range sub.C() {
		if ld := timeline.DataAs[timeline.LeaderData](e); e.Kind == timeline.KafkaLeader && ld != nil {
			moves = append(moves, ld)
		}
	}
	if len(moves) != 1 || moves[0].Service != "bus" || moves[0].Partition != 0 || moves[0].Old != old || moves[0].New != to {
		t.Fatalf("leader events %+v, want one: partition 0 from %d to %d", moves, old, to)
	}
}
