package inject_test

import (
	"context"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
)

// TestTTLGuardRevertsAPartitionThatCutsGamedaysOwnPath arms a partition
// from everyone, the test runner included, so that gameday loses the host
// the moment the fault lands: only the guard on the host can undo it.
func TestTTLGuardRevertsAPartitionThatCutsGamedaysOwnPath(t *testing.T) {
	const ttl = 5 * time.Second
	bed := nshost.New(t, 2, nshost.Options{Redis: true})
	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	inv := bed.Inventory()
	before := bed.Snapshot(h1)
	// A short host timeout: the arm's inject step never hears back.
	m := newManager(t, inv, inject.WithHostTimeout(3*time.Second))

	start := time.Now()
	armed := make(chan error, 1)
	go func() {
		_, err := m.Arm(context.Background(), inject.Request{Kind: "partition", Hosts: []string{"host1"},
			Params: map[string]string{"direction": "both"}, TTL: ttl})
		armed <- err
	}()

	// Watch from the namespace side: gameday cannot see the host now.
	var landed, gone time.Time
	probe := sshx.New(inv, sshx.Config{Timeout: time.Second})
	defer probe.Close()
	for time.Since(start) < ttl+10*time.Second {
		has := hasGamedayRules(bed, h1)
		if has && landed.IsZero() {
			landed = time.Now()
			if _, err := probe.Run(context.Background(), inv.Hosts[0], "true"); err == nil {
				t.Errorf("gameday still reaches host1 through the partition; the test proves nothing")
			}
			if redisPings(bed, h2, h1) {
				t.Errorf("host2 still reaches host1's Redis while partitioned")
			}
		}
		if !has && !landed.IsZero() {
			gone = time.Now()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if landed.IsZero() {
		t.Fatalf("the partition never appeared on host1 (arm: %v)", <-armed)
	}
	if gone.IsZero() {
		t.Fatalf("the partition was still on host1 %s after arming with a %s TTL", time.Since(start).Round(time.Second), ttl)
	}
	t.Logf("partition landed %s after Arm began, gone %s after", landed.Sub(start).Round(10*time.Millisecond), gone.Sub(start).Round(10*time.Millisecond))
	// The guard starts before the fault lands, so its TTL has run out by
	// landed+TTL at the latest.
	if took := gone.Sub(landed); took > ttl+2*time.Second {
		t.Errorf("the guard removed the partition %s after it landed; want within TTL + 2s = %s", took.Round(100*time.Millisecond), ttl+2*time.Second)
	}
	<-armed // whatever the arm concluded, the host is free again
	if !redisPings(bed, h2, h1) {
		t.Errorf("host2 cannot reach host1's Redis after the guard fired")
	}
	// gameday reaches the host again and the ledger can be settled.
	if _, err := m.RevertAll(context.Background()); err != nil {
		t.Errorf("RevertAll after the guard fired: %v", err)
	}
	if after := bed.Snapshot(h1); after != before {
		t.Errorf("host1 changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
