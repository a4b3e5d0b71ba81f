package lab_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

// sentinelMasters asks every Sentinel of the inventory for the master,
// independently of the lab's own health code.
func sentinelMasters(t *testing.T, inv *targets.Inventory) []string {
	t.Helper()
	var out []string
	for _, addr := range inv.Services.Redis[0].Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: time.Second})
		m, err := sc.GetMasterAddrByName(context.Background(), lab.MasterName).Result()
		sc.Close()
		if err != nil {
			out = append(out, "error: "+err.Error())
			continue
		}
		out = append(out, net.JoinHostPort(m[0], m[1]))
	}
	return out
}

func agreed(ms []string) string {
	for _, m := range ms[1:] {
		if m != ms[0] {
			return ""
		}
	}
	if strings.HasPrefix(ms[0], "error") {
		return ""
	}
	return ms[0]
}

// saramaLag computes the group's lag with sarama: sum over partitions of
// the newest offset minus the committed one.
func saramaLag(t *testing.T, brokers []string) (int64, bool) {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	c, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		t.Fatalf("sarama client: %v", err)
	}
	defer c.Close()
	adm, err := sarama.NewClusterAdminFromClient(c)
	if err != nil {
		t.Fatalf("sarama admin: %v", err)
	}
	parts, err := c.Partitions(lab.KafkaTopic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", lab.KafkaTopic, err)
	}
	if len(parts) != lab.KafkaPartitions {
		t.Fatalf("topic %s has %d partitions, want %d", lab.KafkaTopic, len(parts), lab.KafkaPartitions)
	}
	offs, err := adm.ListConsumerGroupOffsets(lab.KafkaGroup, map[string][]int32{lab.KafkaTopic: parts})
	if err != nil {
		t.Fatalf("committed offsets: %v", err)
	}
	var lag int64
	committed := false
	for _, p := range parts {
		hw, err := c.GetOffset(lab.KafkaTopic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatalf("high watermark of %d: %v", p, err)
		}
		var off int64
		if b := offs.GetBlock(lab.KafkaTopic, p); b != nil && b.Offset >= 0 {
			off, committed = b.Offset, true
		}
		lag += hw - off
	}
	return lag, committed
}

func TestLabStartsGreen(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	inv, err := targets.Load(l.InventoryPath())
	if err != nil {
		t.Fatalf("the lab's inventory does not load: %v", err)
	}
	if st, err := os.Stat(l.InventoryPath()); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("inventory mode = %v, %v; want 0600", st.Mode(), err)
	}
	names := map[string]bool{}
	for _, h := range inv.Hosts {
		names[h.Name] = h.Lab != nil
	}
	for _, n := range []string{"redis-1", "redis-2", "redis-3", "sentinel-1", "sentinel-2", "sentinel-3", "kafka-1", "kafka-2", "kafka-3"} {
		if !names[n] {
			t.Errorf("inventory lacks lab host %s", n)
		}
	}
	if inv.Lab == nil || inv.Lab.Control == "" {
		t.Fatalf("inventory lab section incomplete: %+v", inv.Lab)
	}

	ms := sentinelMasters(t, inv)
	master := agreed(ms)
	if master == "" {
		t.Fatalf("sentinels do not agree on a master: %v", ms)
	}
	// The agreed master is redis-1's proxy, not its own port: Sentinels see
	// the lab's network through Toxiproxy.
	if h := inv.Hosts[0]; h.Lab.Listen == master {
		t.Fatalf("sentinels monitor %s directly, not through its proxy", h.Name)
	}

	lag, committed := saramaLag(t, inv.Services.Kafka[0].Brokers)
	if !committed || lag < 0 {
		t.Fatalf("kafka lag = %d, committed = %v; want a real lag", lag, committed)
	}
	t.Logf("sentinels agree on %s; kafka lag %d", master, lag)
	h, err := labapi.NewClient(inv.Lab.Control, inv.Lab.Dir).Health(context.Background())
	if err != nil {
		t.Fatalf("control API health: %v", err)
	}
	if h.KafkaLag == nil || h.Redis == nil || !h.Redis.Green() {
		t.Fatalf("control API health not green: %+v", h)
	}
}

// TestLabDirWithSpaces: configs quote the data dirs.
func TestLabDirWithSpaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "game day lab")
	l, err := lab.Start(context.Background(), lab.Options{Dir: dir, NoKafka: true})
	if err != nil {
		t.Fatalf("start in %q: %v", dir, err)
	}
	if err := l.Stop(); err != nil {
		t.Fatal(err)
	}
	if left := lab.ProcessesIn(dir); len(left) > 0 {
		t.Fatalf("processes %v left in %s", left, dir)
	}
}
