package targets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// CheckKafka fetches cluster metadata through the brokers: how many brokers
// the cluster reports, whether the inventory's topics exist (a missing
// topic fails), and which of its consumer groups the cluster lists (a
// group with no commits yet may be absent, so that only informs).
func CheckKafka(ctx context.Context, k Kafka) Readiness {
	return Timed(Readiness{Item: "kafka/" + k.Name, Kind: "kafka", Address: strings.Join(k.Brokers, ",")}, func() (string, error) {
		cfg, err := checkSaramaConfig(ctx, k)
		if err != nil {
			return "", err
		}
		client, err := sarama.NewClient(k.Brokers, cfg)
		if err != nil {
			return "", fmt.Errorf("metadata: %w", err)
		}
		defer client.Close()
		topics, err := client.Topics()
		if err != nil {
			return "", fmt.Errorf("list topics: %w", err)
		}
		var missing []string
		for _, t := range k.Topics {
			if !slices.Contains(topics, t) {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			return "", fmt.Errorf("topic %s missing (%s answered)", strings.Join(missing, ", "), plural(len(client.Brokers()), "broker"))
		}
		detail := fmt.Sprintf("%s, %d/%d topics", plural(len(client.Brokers()), "broker"), len(k.Topics), len(k.Topics))
		if len(k.Groups) == 0 {
			return detail, nil
		}
		admin, err := sarama.NewClusterAdminFromClient(client)
		if err != nil {
			return "", fmt.Errorf("admin: %w", err)
		}
		groups, err := admin.ListConsumerGroups()
		if err != nil {
			return "", fmt.Errorf("list groups: %w", err)
		}
		var listed, absent []string
		for _, g := range k.Groups {
			if _, ok := groups[g]; ok {
				listed = append(listed, g)
			} else {
				absent = append(absent, g)
			}
		}
		if len(listed) > 0 {
			detail += ", groups " + strings.Join(listed, ", ")
		}
		if len(absent) > 0 {
			detail += ", not yet listed: " + strings.Join(absent, ", ")
		}
		return detail, nil
	})
}

// checkSaramaConfig makes a client that fails within the context's
// deadline instead of sarama's default retries.
func checkSaramaConfig(ctx context.Context, k Kafka) (*sarama.Config, error) {
	timeout := 3 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	cfg := sarama.NewConfig()
	cfg.ClientID = "gameday-check"
	if k.Version != "" {
		v, err := sarama.ParseKafkaVersion(k.Version)
		if err != nil {
			return nil, fmt.Errorf("version %q: %w", k.Version, err)
		}
		cfg.Version = v
	}
	cfg.Net.DialTimeout = timeout
	cfg.Net.ReadTimeout = timeout
	cfg.Net.WriteTimeout = timeout
	cfg.Metadata.Retry.Max = 0
	cfg.Metadata.Full = true
	cfg.Admin.Timeout = timeout
	return cfg, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
