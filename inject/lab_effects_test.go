package inject_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

// labNode returns the lab's current status of node name.
func labNode(t *testing.T, l *lab.Lab, name string) labapi.NodeStatus {
	t.Helper()
	for _, n := range l.Nodes() {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no lab node %s", name)
	return labapi.NodeStatus{}
}

// masterByProxy asks the first Sentinel that answers for the master's
// address and maps it back to the node whose proxy it is.
func masterByProxy(t *testing.T, l *lab.Lab) string {
	t.Helper()
	for _, addr := range l.Inventory().Services.Redis[0].Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: time.Second})
		m, err := sc.GetMasterAddrByName(context.Background(), lab.MasterName).Result()
		sc.Close()
		if err != nil {
			continue
		}
		hp := net.JoinHostPort(m[0], m[1])
		for _, n := range l.Nodes() {
			if n.ProxyAddr == hp {
				return n.Name
			}
		}
	}
	return ""
}

func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

func labManager(t *testing.T, l *lab.Lab) *inject.Manager {
	t.Helper()
	m, err := inject.NewManager(l.Inventory(), nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := m.RevertAll(context.Background()); err != nil {
			t.Errorf("RevertAll at cleanup: %v", err)
		}
		m.Close()
	})
	return m
}

// TestLabFaults runs the lab's faults one after another on one lab: a lab
// start is the expensive part.
func TestLabFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab (Redis, Sentinels, Toxiproxy)")
	}
	l := labtest.Start(t, lab.Options{NoKafka: true})
	m := labManager(t, l)
	ctx := context.Background()

	t.Run("latency through Toxiproxy", func(t *testing.T) {
		replica := "redis-2"
		if masterByProxy(t, l) == replica {
			replica = "redis-3"
		}
		rdb := redis.NewClient(&redis.Options{Addr: labNode(t, l, replica).ProxyAddr, ReadTimeout: 5 * time.Second})
		defer rdb.Close()
		ping := func() time.Duration {
			start := time.Now()
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Fatalf("PING through the proxy: %v", err)
			}
			return time.Since(start)
		}
		ping()
		const delay = 300 * time.Millisecond
		a, err := m.Arm(ctx, inject.Request{Kind: "latency", Hosts: []string{replica}, Params: map[string]string{"delay": delay.String()}, TTL: time.Minute})
		if err != nil {
			t.Fatalf("Arm latency: %v", err)
		}
		if d := ping(); d < delay {
			t.Errorf("PING through the proxy took %s with a %s latency toxic", d, delay)
		}
		if _, err := m.Revert(ctx, a.ID); err != nil {
			t.Fatalf("Revert: %v", err)
		}
		if d := ping(); d >= delay {
			t.Errorf("PING still takes %s after revert", d)
		}
		if tox := labNode(t, l, replica).Toxics; len(tox) != 0 {
			t.Errorf("toxics left on %s: %v", replica, tox)
		}
	})

	t.Run("pause then revert", func(t *testing.T) {
		replica := "redis-3"
		if masterByProxy(t, l) == replica {
			replica = "redis-2"
		}
		n := labNode(t, l, replica)
		a, err := m.Arm(ctx, inject.Request{Kind: "pause", Hosts: []string{replica}, TTL: time.Minute})
		if err != nil {
			t.Fatalf("Arm pause: %v", err)
		}
		if st := procState(n.PID); st != "T" {
			t.Errorf("paused %s (pid %d) is in state %q, want T", replica, n.PID, st)
		}
		// The ledger names the lab process that armed it, for the revert.
		if r, err := m.Ledger().Get(a.ID); err != nil || r.PerHost[replica].Via["lab"] == "" {
			t.Errorf("the ledger does not name the lab that armed %s: %v %+v", a.ID, err, r)
		}
		if _, err := m.Revert(ctx, a.ID); err != nil {
			t.Fatalf("Revert: %v", err)
		}
		if st := procState(n.PID); st != "S" && st != "R" {
			t.Errorf("%s is in state %q after revert, want S or R", replica, st)
		}
		rdb := redis.NewClient(&redis.Options{Addr: n.Listen})
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			t.Errorf("%s does not answer PING after revert: %v", replica, err)
		}
	})

	t.Run("one-way partition of redis-2 from redis-1", func(t *testing.T) {
		inv := l.Inventory()
		// pings dials to's proxy from from's own address, as the lab's
		// relays tell nodes apart.
		pings := func(from, to string) bool {
			h, ok := inv.Host(from)
			if !ok {
				t.Fatalf("no lab host %s", from)
			}
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(h.Address)}, Timeout: time.Second}
			rdb := redis.NewClient(&redis.Options{Addr: labNode(t, l, to).ProxyAddr, MaxRetries: -1, ReadTimeout: time.Second,
				Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
					return d.DialContext(ctx, network, addr)
				}})
			defer rdb.Close()
			return rdb.Ping(ctx).Err() == nil
		}
		type flow struct {
			from, to string
			passes   bool
		}
		cases := map[string]struct {
			flows   []flow
			blocked map[string]string // node -> the peers it refuses while armed
		}{
			"in": {flows: []flow{{"redis-1", "redis-2", false}, {"redis-2", "redis-1", true}, {"sentinel-1", "redis-2", true}},
				blocked: map[string]string{"redis-2": "redis-1", "redis-1": ""}},
			"out": {flows: []flow{{"redis-2", "redis-1", false}, {"redis-1", "redis-2", true}, {"sentinel-1", "redis-1", true}},
				blocked: map[string]string{"redis-1": "redis-2", "redis-2": ""}},
		}
		for direction, tc := range cases {
			t.Run(direction, func(t *testing.T) {
				for _, f := range tc.flows {
					if !pings(f.from, f.to) {
						t.Fatalf("before the fault %s cannot PING %s", f.from, f.to)
					}
				}
				a, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{"redis-2"},
					Params: map[string]string{"peers": "redis-1", "direction": direction}, TTL: time.Minute})
				if err != nil {
					t.Fatalf("Arm: %v", err)
				}
				for _, f := range tc.flows {
					if got := pings(f.from, f.to); got != f.passes {
						t.Errorf("armed: PING %s -> %s passes = %v, want %v", f.from, f.to, got, f.passes)
					}
				}
				for node, want := range tc.blocked {
					n := labNode(t, l, node)
					if got := strings.Join(n.Blocked, ","); got != want || n.Cut {
						t.Errorf("armed: %s refuses %q (proxy cut %v), want %q and its proxy open", node, got, n.Cut, want)
					}
				}
				if _, err := m.Revert(ctx, a.ID); err != nil {
					t.Fatalf("Revert: %v", err)
				}
				for _, f := range tc.flows {
					if !pings(f.from, f.to) {
						t.Errorf("reverted: PING %s -> %s still fails", f.from, f.to)
					}
				}
				for node := range tc.blocked {
					if n := labNode(t, l, node); len(n.Blocked) != 0 {
						t.Errorf("reverted: %s still refuses %v", node, n.Blocked)
					}
				}
			})
		}
	})

	// The lab's check op, which inject's verify steps and the lab's
	// guards use, says "in place" and "gone" only when that is so.
	t.Run("lab checks in both directions", func(t *testing.T) {
		c := l.Client()
		node := "redis-3"
		if masterByProxy(t, l) == node {
			node = "redis-2"
		}
		check := func(a labapi.Action, gone bool) error {
			res, err := c.Do(ctx, false, labapi.Action{Op: labapi.OpCheck, Node: a.Node, Check: &a, Gone: gone})
			if err != nil {
				t.Fatal(err)
			}
			return labapi.FirstError(res)
		}
		do := func(a labapi.Action) {
			t.Helper()
			if res, err := c.Do(ctx, false, a); err != nil || labapi.FirstError(res) != nil {
				t.Fatalf("%s: %v %v", a, err, labapi.FirstError(res))
			}
		}
		filler := filepath.Join(l.Dir(), "redis-3", ".gameday-fill-c4ec4000")
		for _, tc := range []struct {
			name          string
			fault, revert labapi.Action
		}{
			{"toxic", labapi.Action{Op: labapi.OpToxicAdd, Node: node, Toxic: &labapi.Toxic{Name: "gameday-c4ec4000", Type: "latency", Attributes: map[string]int{"latency": 10}}},
				labapi.Action{Op: labapi.OpToxicRemove, Node: node, Toxic: &labapi.Toxic{Name: "gameday-c4ec4000"}}},
			{"cut whole", labapi.Action{Op: labapi.OpCut, Node: node}, labapi.Action{Op: labapi.OpHeal, Node: node}},
			{"cut out from a peer", labapi.Action{Op: labapi.OpCut, Node: node, Direction: "out", Peers: []string{"sentinel-1"}},
				labapi.Action{Op: labapi.OpHeal, Node: node, Direction: "out", Peers: []string{"sentinel-1"}}},
			{"pause", labapi.Action{Op: labapi.OpSignal, Node: node, Signal: "STOP"}, labapi.Action{Op: labapi.OpSignal, Node: node, Signal: "CONT"}},
			{"kill", labapi.Action{Op: labapi.OpSignal, Node: node, Signal: "KILL"}, labapi.Action{Op: labapi.OpStart, Node: node}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := check(tc.fault, false); err == nil {
					t.Errorf("before the fault, the check says it is in place")
				}
				if err := check(tc.fault, true); err != nil {
					t.Errorf("before the fault, the check says it is not gone: %v", err)
				}
				do(tc.fault)
				if err := check(tc.fault, false); err != nil {
					t.Errorf("armed, the check says it is not in place: %v", err)
				}
				if err := check(tc.fault, true); err == nil {
					t.Errorf("armed, the check says it is gone")
				}
				do(tc.revert)
				if err := check(tc.fault, true); err != nil {
					t.Errorf("reverted, the check says it is not gone: %v", err)
				}
			})
		}
		t.Run("a pause is the kernel's stop, not the lab's word", func(t *testing.T) {
			pause := labapi.Action{Op: labapi.OpSignal, Node: node, Signal: "STOP"}
			do(pause)
			// Continued behind the lab's back: its books still say paused.
			pid := labNode(t, l, node).PID
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			for procState(pid) == "T" { // the kernel continues it when next scheduled
				runtime.Gosched()
			}
			if err := check(pause, false); err == nil {
				t.Errorf("%s (pid %d) runs, in state %s, yet the check says the pause is in place", node, pid, procState(pid))
			}
			if err := check(pause, true); err != nil {
				t.Errorf("%s runs, yet the check says the pause is not gone: %v", node, err)
			}
			do(labapi.Action{Op: labapi.OpSignal, Node: node, Signal: "CONT"})
		})
		t.Run("filler file", func(t *testing.T) {
			rm := labapi.Action{Op: labapi.OpRemoveFile, Node: "redis-3", Path: filler}
			if err := check(rm, true); err != nil {
				t.Errorf("no filler, yet the check says it is not gone: %v", err)
			}
			os.WriteFile(filler, []byte("x"), 0o600)
			if err := check(rm, true); err == nil {
				t.Errorf("the filler exists, yet the check says it is gone")
			}
			do(rm)
			if err := check(rm, true); err != nil {
				t.Errorf("removed, the check says the filler is not gone: %v", err)
			}
		})
	})

	t.Run("the lab's guard reverts a partition when its TTL runs out", func(t *testing.T) {
		replica := "redis-2"
		if masterByProxy(t, l) == replica {
			replica = "redis-3"
		}
		a, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{replica}, TTL: 2 * time.Second})
		if err != nil {
			t.Fatalf("Arm partition: %v", err)
		}
		if !labNode(t, l, replica).Cut {
			t.Fatalf("%s is not cut after arming", replica)
		}
		for deadline := time.Now().Add(6 * time.Second); labNode(t, l, replica).Cut && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		if labNode(t, l, replica).Cut {
			t.Fatalf("%s still cut 6s after a 2s TTL", replica)
		}
		time.Sleep(time.Until(a.Deadline))
		if err := m.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := m.List(false)
		if err != nil {
			t.Fatal(err)
		}
		state := inject.State("missing")
		for _, f := range list {
			if f.ID == a.ID {
				state = f.State
			}
		}
		if state != inject.StateExpired {
			t.Errorf("fault %s is %s after its guard fired, want expired", a.ID, state)
		}
	})

	t.Run("kill the master fails over and the old master rejoins", func(t *testing.T) {
		old := masterByProxy(t, l)
		if old == "" {
			t.Fatal("the Sentinels name no master")
		}
		oldPID := labNode(t, l, old).PID
		start := time.Now()
		a, err := m.Arm(ctx, inject.Request{Kind: "kill", Hosts: []string{old}, TTL: 2 * time.Minute})
		if err != nil {
			t.Fatalf("Arm kill: %v", err)
		}
		if procState(oldPID) != "" && procState(oldPID) != "Z" {
			t.Errorf("killed master %s (pid %d) still runs", old, oldPID)
		}
		var now string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if now = masterByProxy(t, l); now != "" && now != old {
				break
			}
		}
		if now == "" || now == old {
			t.Fatalf("no failover within 30s of killing %s (Sentinels say %q)", old, now)
		}
		failedOver := time.Since(start)
		if _, err := m.Revert(ctx, a.ID); err != nil {
			t.Fatalf("Revert: %v", err)
		}
		reverted := time.Since(start)
		rdb := redis.NewClient(&redis.Options{Addr: labNode(t, l, old).ProxyAddr})
		defer rdb.Close()
		var info string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			info, _ = rdb.Info(ctx, "replication").Result()
			if strings.Contains(info, "role:slave") {
				break
			}
		}
		if !strings.Contains(info, "role:slave") {
			t.Errorf("old master %s did not rejoin as a replica within 30s:\n%s", old, info)
		}
		t.Logf("killed %s, Sentinels promoted %s after %s, revert done after %s, %s rejoined as a replica after %s",
			old, now, failedOver.Round(time.Millisecond), reverted.Round(time.Millisecond), old, time.Since(start).Round(time.Millisecond))
	})
}
