package probes

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/targets"
)

// probeKeys returns the keys of this writer's run on the Redis node at
// addr, read directly from it.
func probeKeys(t *testing.T, addr, run string) map[string]bool {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DisableIdentity: true})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys := map[string]bool{}
	iter := c.Scan(ctx, 0, "gameday:integrity:*:"+run+":*", 1000).Iterator()
	for iter.Next(ctx) {
		keys[iter.Val()] = true
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN %s: %v", addr, err)
	}
	return keys
}

// On real Redis + Sentinel namespace hosts: the master is cut off from
// its peers while the probe keeps writing to it, the others fail over,
// the partition heals and the old master is demoted. redis.integrity
// counts exactly the acknowledged writes that the old master took and
// the new master does not have (issue 10.11).
func TestRedisIntegrityCountsWritesLostToSplitBrain(t *testing.T) {
	bed := nshost.NewSentinel(t, 3, nshost.SentinelOptions{})
	svc := bed.Service()
	cfg := Config{Rate: 20, Timeout: time.Second, Window: 30 * time.Second, Report: 500 * time.Millisecond,
		Thresholds: mustThresholds(t, "lost == 0")}

	t.Run("healthy: nothing lost", func(t *testing.T) {
		svc := svc
		svc.Probes = targets.Probes{"latency": {Disabled: true}, "master": {Disabled: true}, "integrity": {Rate: 20, Window: 30 * time.Second}}
		set, err := NewSet(&targets.Inventory{Services: targets.Services{Redis: []targets.Redis{svc}}}, nil, Options{Report: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); set.Run(ctx) }()
		defer func() { cancel(); <-done }()
		var r Reading
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if r = set.Latest()[0]; r.Count >= 20 {
				break
			}
		}
		if r.Probe != "redis.integrity" || r.Status != StatusOK || r.Value != 0 || r.Unit != "lost" ||
			!strings.HasPrefix(r.Detail, "0 of ") || r.Count < 20 {
			t.Fatalf("healthy reading %+v, want ok with 0 lost of at least 20 writes", r)
		}
	})

	old := bed.Hosts[0]
	p := newRedisWriter(svc, cfg, Options{ClientName: "gameday-test"})
	defer p.close()
	ctx := context.Background()
	if err := p.start(ctx); err != nil {
		t.Fatal(err)
	}
	var n int64
	write := func() {
		wctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		_, _ = p.write(wctx, n) // a failed write is not acknowledged: not tracked
		n++
	}
	for range 50 {
		write()
	}
	if lost, note := p.sweep(ctx); len(lost) != 0 || note != "" {
		t.Fatalf("before any fault: lost %v (%s)", lost, note)
	}

	// Split brain: host1 is cut off from its peers, the test (the
	// application) still reaches it and keeps writing.
	bed.Isolate(old)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				write()
			}
		}
	}()
	nu, err := bed.WaitSplit(old, 90*time.Second)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if _, note := p.sweep(ctx); !strings.Contains(note, "read-back waits: the Sentinels of redis/cache disagree") {
		t.Fatalf("while the Sentinels disagree the read-back should wait, note %q", note)
	}
	onOld, onNew := probeKeys(t, old.RedisAddr, p.run), probeKeys(t, nu.RedisAddr, p.run)

	bed.Heal(old)
	if err := bed.WaitGreen(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	var want, fromOld int
	for _, w := range p.pending {
		if !onNew[w.key] {
			want++
			if onOld[w.key] && w.by == old.RedisAddr {
				fromOld++
			}
		}
	}
	acked := len(p.pending)
	p.mu.Unlock()
	if want == 0 {
		t.Fatalf("no acknowledged write is missing on the new master %s: the split brain lost nothing to count (%d acked)", nu.Name, acked)
	}
	if fromOld != want {
		t.Fatalf("%d acknowledged writes are missing on the new master, but only %d were the old master's", want, fromOld)
	}
	lost, note := p.sweep(ctx)
	if len(lost) != want {
		t.Fatalf("the probe counted %d lost writes (%s), the masters' data says %d of %d acknowledged", len(lost), note, want, acked)
	}
	culprit := "acknowledged by " + old.RedisAddr + ", missing on master " + nu.RedisAddr
	for _, c := range lost {
		if c != culprit {
			t.Fatalf("culprit %q, want %q", c, culprit)
		}
	}
	t.Logf("FIGURE redis.integrity split brain: %d of %d acknowledged writes lost, all acknowledged by the isolated old master", want, acked)
	if again, note := p.sweep(ctx); len(again) != 0 {
		t.Fatalf("a second sweep counts %d more (%s): losses must count once", len(again), note)
	}
}
