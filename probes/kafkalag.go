package probes

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/IBM/sarama"
)

// kafkaLag is the kafka.lag probe for one consumer group (and one topic,
// or every topic the group has committed to): total lag is the sum over
// partitions of high watermark minus committed offset, a partition without
// a commit counting from the log start.
type kafkaLag struct {
	target string
	group  string
	topic  string // "" for every committed topic
	cfg    Config
	conn   *kafkaClient
}

// Name, Target and Run implement Probe.
func (p *kafkaLag) Name() string   { return "kafka.lag" }
func (p *kafkaLag) Target() string { return p.target }

// Run measures until ctx is done; see Probe.
func (p *kafkaLag) Run(ctx context.Context, emit func(Reading)) {
	defer p.conn.close()
	poll(ctx, p.Name(), p.target, p.cfg, p.measure, emit, nil)
}

// measure computes the lag once. sarama calls take no context; its own
// network timeouts (the probe's timeout) bound them, and poll bounds the
// whole call.
func (p *kafkaLag) measure(ctx context.Context) Reading {
	client, admin, err := p.conn.get()
	if err != nil {
		return Reading{Status: StatusError, Detail: oneLine(err)}
	}
	lag, parts, committed, err := groupLag(client, admin, p.group, p.topic)
	if err != nil {
		if !errors.Is(err, sarama.ErrGroupIDNotFound) && isConnError(err) {
			p.conn.close()
		}
		return Reading{Status: StatusError, Detail: oneLine(err)}
	}
	detail := fmt.Sprintf("lag %d over %d partitions", lag, parts)
	if !committed {
		detail += ", no commits yet (counted from log start)"
	}
	return Reading{Value: float64(lag), Unit: "messages", Detail: detail}
}

// groupLag returns the group's total lag on topic ("" for every topic it
// committed to), the number of partitions summed, and whether the group
// has committed anything.
func groupLag(client sarama.Client, admin sarama.ClusterAdmin, group, topic string) (lag int64, parts int, committed bool, err error) {
	var want map[string][]int32
	if topic != "" {
		if err := client.RefreshMetadata(topic); err != nil {
			return 0, 0, false, fmt.Errorf("metadata of topic %s: %w", topic, err)
		}
		ps, err := client.Partitions(topic)
		if err != nil {
			return 0, 0, false, fmt.Errorf("partitions of topic %s: %w", topic, err)
		}
		want = map[string][]int32{topic: ps}
	}
	offsets := map[string]map[int32]int64{}
	resp, err := admin.ListConsumerGroupOffsets(group, want)
	switch {
	case errors.Is(err, sarama.ErrGroupIDNotFound):
		// kfake (and Kafka for an unknown group) answers this before the
		// first commit: every partition counts from the log start.
	case err != nil:
		return 0, 0, false, fmt.Errorf("committed offsets of group %s: %w", group, err)
	default:
		for t, blocks := range resp.Blocks {
			for p, b := range blocks {
				if b == nil {
					continue
				}
				if !errors.Is(b.Err, sarama.ErrNoError) {
					return 0, 0, false, fmt.Errorf("committed offset of group %s on %s/%d: %w", group, t, p, b.Err)
				}
				if offsets[t] == nil {
					offsets[t] = map[int32]int64{}
				}
				offsets[t][p] = b.Offset
			}
		}
	}
	if want == nil {
		want = map[string][]int32{}
		for t, ps := range offsets {
			for p := range ps {
				want[t] = append(want[t], p)
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(want)) {
		for _, p := range want[t] {
			hw, err := client.GetOffset(t, p, sarama.OffsetNewest)
			if err != nil {
				return 0, 0, false, fmt.Errorf("high watermark of %s/%d: %w", t, p, err)
			}
			c, ok := offsets[t][p]
			if ok && c >= 0 {
				committed = true
			} else {
				if c, err = client.GetOffset(t, p, sarama.OffsetOldest); err != nil {
					return 0, 0, false, fmt.Errorf("log start of %s/%d: %w", t, p, err)
				}
			}
			if hw > c {
				lag += hw - c
			}
			parts++
		}
	}
	return lag, parts, committed, nil
}

// isConnError reports whether err suggests the client lost its brokers and
// should reconnect.
func isConnError(err error) bool {
	return errors.Is(err, sarama.ErrOutOfBrokers) || errors.Is(err, sarama.ErrClosedClient) ||
		errors.Is(err, sarama.ErrNotConnected) || isTimeout(err)
}
