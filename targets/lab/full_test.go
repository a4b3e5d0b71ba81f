package lab

import (
	"slices"
	"testing"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/jvm"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// TestFullLabLeavesKafkaOut: what a full lab starts, without starting it.
// NoKafka leaves out every Kafka, the real brokers too (a Cassandra-only
// full lab for a Cassandra drill); NoKfake only the in-process brokers.
func TestFullLabLeavesKafkaOut(t *testing.T) {
	both := []string{labapi.KindKafka, labapi.KindCassandra}
	cases := map[string]struct {
		opts  Options
		kfake bool
		real  []string
	}{
		"lab":                 {Options{}, true, nil},
		"lab without kafka":   {Options{NoKafka: true}, false, nil},
		"full":                {Options{Full: true}, true, both},
		"full without kafka":  {Options{Full: true, NoKafka: true}, false, []string{labapi.KindCassandra}},
		"full without kfake":  {Options{Full: true, NoKfake: true}, false, both},
		"full, no redis":      {Options{Full: true, NoRedis: true}, true, both},
		"full, neither kafka": {Options{Full: true, NoKafka: true, NoKfake: true}, false, []string{labapi.KindCassandra}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.opts.kfake(); got != tc.kfake {
				t.Errorf("kfake brokers: %v, want %v", got, tc.kfake)
			}
			if got := tc.opts.realClusters(); !slices.Equal(got, tc.real) {
				t.Errorf("real clusters %v, want %v", got, tc.real)
			}
		})
	}
}

// TestFullLabInventoryWithoutKafka: a full lab without Kafka lists its
// Cassandra nodes and service and no real Kafka service without brokers.
func TestFullLabInventoryWithoutKafka(t *testing.T) {
	var nodes []*jvm.Node
	for i := 1; i <= 3; i++ {
		nodes = append(nodes, &jvm.Node{Name: "cassandra-" + string(rune('0'+i)), Addr: "127.0.9." + string(rune('0'+i)), Port: 9042})
	}
	f := &fullLab{cassandra: &jvm.Cluster{Nodes: nodes}}
	inv := &targets.Inventory{}
	f.addTo(inv)
	if len(inv.Services.Kafka) != 0 {
		t.Errorf("kafka services %+v, want none", inv.Services.Kafka)
	}
	if len(inv.Services.Cassandra) != 1 || !slices.Equal(inv.Services.Cassandra[0].Hosts, []string{"cassandra-1", "cassandra-2", "cassandra-3"}) ||
		!slices.Equal(inv.Services.Cassandra[0].ContactPoints, []string{"127.0.9.1:9042", "127.0.9.2:9042", "127.0.9.3:9042"}) {
		t.Errorf("cassandra services %+v", inv.Services.Cassandra)
	}
	if len(inv.Hosts) != 3 || f.node("broker-1") != nil || f.node("cassandra-2") != nodes[1] || len(f.status()) != 3 {
		t.Errorf("hosts %+v", inv.Hosts)
	}
}
