package inject_test

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

// pings PINGs addr on a fresh connection every 20 ms until stop, each
// stamped: a try passes when PONG comes back within 500 ms.
func pings(addr string, stop <-chan struct{}) func() []sample {
	var mu sync.Mutex
	var out []sample
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			s := sample{start: time.Now()}
			if c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err == nil {
				c.SetDeadline(time.Now().Add(500 * time.Millisecond))
				if _, err := c.Write([]byte("PING\r\n")); err == nil {
					line, _ := bufio.NewReader(c).ReadString('\n')
					s.passed = strings.TrimSpace(line) == "+PONG"
				}
				c.Close()
			}
			s.end = time.Now()
			mu.Lock()
			out = append(out, s)
			mu.Unlock()
		}
	}()
	return func() []sample {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return out
	}
}

// TestLabFlapOfTheMaster flaps a partition of the Redis lab's master: the
// lab's guard toggles it, clients through the master's proxy fail in
// every verified cut and get PONG in every verified heal, each toggle is
// recorded once, and the revert leaves the node uncut, without toxics or
// refused peers, and no guard armed.
func TestLabFlapOfTheMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab (Redis, Sentinels, Toxiproxy)")
	}
	l := labtest.Start(t, lab.Options{NoKafka: true})
	fr := recordFlap(t)
	m, err := inject.NewManager(l.Inventory(), fr.rec, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	master := masterByProxy(t, l)
	if master == "" {
		t.Fatal("no Sentinel names a master")
	}
	stop := make(chan struct{})
	tries := pings(labNode(t, l, master).ProxyAddr, stop)
	const cut, heal = time.Second, time.Second
	ctx := context.Background()
	a, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{master},
		Params: map[string]string{"flap": "1s/1s"}, TTL: 2 * time.Minute})
	if err != nil {
		close(stop)
		t.Fatalf("Arm: %v", err)
	}
	waitToggles(t, fr.toggles, 7)
	stopAt := time.Now()
	if _, err := m.Revert(ctx, a.ID); err != nil {
		close(stop)
		t.Fatalf("Revert: %v", err)
	}
	close(stop)
	samples := tries()
	judgeFlap(t, a.ID, master, fr.toggles(), cut, heal, stopAt, samples)
	fr.checkReport(t, a.ID)
	n := labNode(t, l, master)
	if n.Cut || len(n.Blocked) > 0 || len(n.Toxics) > 0 {
		t.Errorf("after the revert %s is cut=%v, refuses %v, toxics %v: want none", master, n.Cut, n.Blocked, n.Toxics)
	}
	gs, err := labapi.NewClient(l.Inventory().Lab.Control, l.Dir()).Guards(ctx)
	if err != nil || len(gs) != 0 {
		t.Errorf("lab guards after the revert: %+v, %v; want none", gs, err)
	}
	t.Logf("%d toggles on %s, %d PINGs", len(fr.toggles()), master, len(samples))
}

// TestLabFlapHealsAtTTLWithoutGameday: the gameday that armed a lab flap
// goes away; the lab's guard flaps on, heals at the TTL and records its
// checks; a later gameday finds the fault expired and the node uncut.
func TestLabFlapHealsAtTTLWithoutGameday(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab (Redis, Sentinels, Toxiproxy)")
	}
	l := labtest.Start(t, lab.Options{NoKafka: true})
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	m, err := inject.NewManager(l.Inventory(), nil, ledger)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Arm(context.Background(), inject.Request{Kind: "partition", Hosts: []string{"redis-2"},
		Params: map[string]string{"flap": "1s/1s"}, TTL: 4 * time.Second})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	m.Close() // gameday is gone
	later, err := inject.NewManager(l.Inventory(), nil, ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	waitExpired(t, later, a.ID)
	if n := labNode(t, l, "redis-2"); n.Cut || len(n.Blocked) > 0 {
		t.Errorf("after the TTL redis-2 is cut=%v, refuses %v", n.Cut, n.Blocked)
	}
	ts, err := labapi.ReadToggles(l.Dir(), a.ID+"-redis-2")
	if err != nil || len(ts) < 2 || ts[0].State != inject.ToggleCut || ts[len(ts)-1].State != inject.ToggleHealed {
		t.Errorf("the lab's flap log for %s: %+v, %v; want cuts and heals, a heal last", a.ID, ts, err)
	}
}
