package nshost_test

import (
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
)

func TestSentinelBedFailsOverWhenTheMasterDiesAndTakesItBackAsReplica(t *testing.T) {
	bed := nshost.NewSentinel(t, 3, nshost.SentinelOptions{})
	old, err := bed.Master()
	if err != nil {
		t.Fatal(err)
	}
	if old != bed.Hosts[0] {
		t.Fatalf("the first master is %s, want host1", old.Name)
	}
	start := time.Now()
	bed.KillRedis(old)
	nu, err := bed.WaitMaster(old, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("failover from %s to %s took %s", old.Name, nu.Name, time.Since(start).Round(time.Millisecond))
	if err := bed.StartRedis(old); err != nil {
		t.Fatal(err)
	}
	if err := bed.WaitGreen(30 * time.Second); err != nil {
		t.Fatalf("the old master never came back as an in-sync replica: %v", err)
	}
	if m, err := bed.Master(); err != nil || m != nu {
		for _, h := range bed.Hosts {
			t.Logf("%s sentinel:\n%s", h.Name, bed.SentinelLog(h))
		}
		t.Fatalf("after the old master came back the Sentinels name %v (%v), want %s", m, err, nu.Name)
	}
}
