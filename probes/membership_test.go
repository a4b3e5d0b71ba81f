package probes

import (
	"reflect"
	"testing"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Every probe NewSet builds is listed under the service it watches, with
// the hosts the inventory gives that service.
func TestMembership(t *testing.T) {
	inv := &targets.Inventory{Services: targets.Services{
		Redis: []targets.Redis{{Name: "cache", Hosts: []string{"r1", "r2"}, Sentinels: []string{"a:1", "b:2", "c:3"}, Master: "m"}},
		Kafka: []targets.Kafka{{Name: "bus", Hosts: []string{"k1"}, Brokers: []string{"k1:9092"}, Groups: []string{"g"}, Topics: []string{"t"}}},
	}}
	got := Membership(inv)
	want := []timeline.ServiceInfo{
		{Kind: "redis", Name: "cache", Hosts: []string{"r1", "r2"}, Probes: []string{"redis.latency cache", "sentinel.master cache"}, Sentinels: 3},
		{Kind: "kafka", Name: "bus", Hosts: []string{"k1"}, Probes: []string{"kafka.lag bus g/t", "kafka.latency bus gameday-canary"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Membership =\n%+v\nwant\n%+v", got, want)
	}
}
