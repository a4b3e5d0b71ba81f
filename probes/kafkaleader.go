package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/gameday-dev/gameday/timeline"
)

// leaderWatch records a kafka.leader event whenever a partition of the
// canary topic gets a new leader: the partition movements a broker fault
// causes, which the analyzer counts per fault. It asks for fresh metadata
// every interval rather than trusting the client's cache, which refreshes
// only on errors and every ten minutes.
type leaderWatch struct {
	service, topic string
	client         sarama.Client
	rec            *timeline.Recorder
	leaders        map[int32]int32 // partition → broker id of its leader
}

// run polls until ctx is done.
func (w *leaderWatch) run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		w.poll(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// poll refreshes the topic's metadata and records each leader that moved.
// A partition without a reachable leader keeps its last one: the move is
// recorded when a new leader is known.
func (w *leaderWatch) poll(now time.Time) {
	if err := w.client.RefreshMetadata(w.topic); err != nil {
		return
	}
	parts, err := w.client.Partitions(w.topic)
	if err != nil {
		return
	}
	for _, part := range parts {
		b, err := w.client.Leader(w.topic, part)
		if err != nil || b == nil {
			continue
		}
		old, known := w.leaders[part]
		w.leaders[part] = b.ID()
		if !known || old == b.ID() {
			continue
		}
		w.rec.Record(timeline.Event{Time: now, Kind: timeline.KafkaLeader, Source: "probe:kafka.latency",
			Summary: fmt.Sprintf("%s %s partition %d leader %d → %d", w.service, w.topic, part, old, b.ID()),
			Data:    &timeline.LeaderData{Service: w.service, Topic: w.topic, Partition: part, Old: old, New: b.ID()}})
	}
}
