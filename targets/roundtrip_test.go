package targets

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// TestMarshalRoundTrip pins that an inventory written with goccy/go-yaml
// (as `gameday lab up` writes its own) loads back unchanged.
func TestMarshalRoundTrip(t *testing.T) {
	want := &Inventory{
		Name: "lab",
		SSH:  SSH{User: "ops", Port: 2222, IdentityFile: "/k", KnownHosts: "/kh", Jump: "bastion"},
		Lab:  &Lab{Dir: "/tmp/lab", Control: "127.0.0.1:7070", Toxiproxy: "127.0.0.1:8474"},
		Hosts: []Host{
			{Name: "bastion", Address: "192.0.2.1", Tags: []string{"edge"}},
			{Name: "redis-1", Address: "127.0.0.1", Tags: []string{"lab"}, Roles: []string{"redis", "master"},
				Lab: &LabNode{Kind: "redis", PID: os.Getpid(), DataDir: "/tmp/lab/redis-1", Proxy: "redis-1", Listen: "127.0.0.1:16379", FaketimeFile: "/tmp/lab/ft"}},
		},
		Services: Services{
			Redis: []Redis{{Name: "lab-redis", Hosts: []string{"redis-1"}, Sentinels: []string{"127.0.0.1:26379"}, Master: "mymaster",
				Password: "env:REDIS_PASSWORD", SentinelPassword: "file:/run/sentinel.pass",
				Probes: Probes{
					"latency": {Rate: 12.5, Timeout: time.Second, Window: 10 * time.Second, Thresholds: []string{"p99 < 50ms"}},
					"master":  {Disabled: true, Interval: 250 * time.Millisecond, Thresholds: []string{"master: stable"}},
				}}},
			Kafka: []Kafka{{Name: "lab-kafka", Hosts: []string{"redis-1"}, Brokers: []string{"127.0.0.1:19092"}, Topics: []string{"orders"},
				Groups: []string{"billing"}, CanaryTopic: "gameday.canary", Version: "3.6.0"}},
			Cassandra: []Cassandra{{Name: "c", ContactPoints: []string{"127.0.0.1"}, Keyspace: "ks", Table: "canary", LocalDC: "dc1",
				CreateTable: true, Username: "u", Password: "env:CASS"}},
		},
	}
	data, err := yaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("roundtrip.yaml", data)
	if err != nil {
		t.Fatalf("Parse of marshalled inventory:\n%v\n%s", err, data)
	}
	want.Path = "roundtrip.yaml"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the inventory:\n got %+v\nwant %+v\nyaml:\n%s", got, want, data)
	}
}
