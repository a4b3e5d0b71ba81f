package inject_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
)

// TestPartitionOverSSHDropsTrafficAndRevertRestoresIt arms partitions on
// namespace hosts over the real SSH path and checks what packets do.
func TestPartitionOverSSHDropsTrafficAndRevertRestoresIt(t *testing.T) {
	bed := nshost.New(t, 3, nshost.Options{Redis: true})
	h1, h2, h3 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2]
	m := newManager(t, bed.Inventory())

	type flow struct {
		from, to *nshost.Host
		passes   bool
	}
	cases := map[string]struct {
		direction string
		tcp       []flow // Redis PINGs
		udp       []flow // single datagrams
	}{
		"both directions": {
			direction: "both",
			tcp:       []flow{{h1, h2, false}, {h2, h1, false}, {h3, h1, true}, {h1, h3, true}},
			udp:       []flow{{h1, h2, false}, {h2, h1, false}},
		},
		// One-way cuts drop the connections opened the cut way only, so
		// TCP still works the other way.
		"in only": {
			direction: "in",
			tcp:       []flow{{h2, h1, false}, {h1, h2, true}, {h3, h1, true}},
			udp:       []flow{{h2, h1, false}, {h1, h2, true}, {h3, h1, true}},
		},
		"out only": {
			direction: "out",
			tcp:       []flow{{h1, h2, false}, {h2, h1, true}, {h1, h3, true}},
			udp:       []flow{{h1, h2, false}, {h2, h1, true}, {h1, h3, true}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := bed.Snapshot(h1)
			for _, f := range tc.tcp {
				if !redisPings(bed, f.from, f.to) {
					t.Fatalf("before the fault %s cannot PING %s", f.from.Name, f.to.Name)
				}
			}
			// Connections opened before the fault: the cut direction's
			// are cut too, the others carry on.
			var held []func() bool
			for _, f := range tc.tcp {
				held = append(held, heldRedisConn(t, f.from, f.to))
			}
			ctx := context.Background()
			a, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{"host1"},
				Params: map[string]string{"peers": "host2", "direction": tc.direction}, TTL: time.Minute})
			if err != nil {
				t.Fatalf("Arm: %v", err)
			}
			for i, f := range tc.tcp {
				if got := redisPings(bed, f.from, f.to); got != f.passes {
					t.Errorf("armed: Redis PING %s -> %s on a new connection passes = %v, want %v", f.from.Name, f.to.Name, got, f.passes)
				}
				if got := held[i](); got != f.passes {
					t.Errorf("armed: Redis PING %s -> %s on a connection opened before passes = %v, want %v", f.from.Name, f.to.Name, got, f.passes)
				}
			}
			for _, f := range tc.udp {
				if got := udpArrives(t, bed, f.from, f.to); got != f.passes {
					t.Errorf("armed: UDP %s -> %s arrives = %v, want %v", f.from.Name, f.to.Name, got, f.passes)
				}
			}
			if _, err := m.Revert(ctx, a.ID); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			for _, f := range append(tc.tcp, tc.udp...) {
				if !redisPings(bed, f.from, f.to) {
					t.Errorf("reverted: Redis PING %s -> %s still fails", f.from.Name, f.to.Name)
				}
			}
			for _, f := range tc.udp {
				if !udpArrives(t, bed, f.from, f.to) {
					t.Errorf("reverted: UDP %s -> %s still dropped", f.from.Name, f.to.Name)
				}
			}
			if after := bed.Snapshot(h1); after != before {
				t.Errorf("host1 changed by inject+revert:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			// Reverting again is fine and changes nothing.
			if _, err := m.Revert(ctx, a.ID); err != nil {
				t.Errorf("second Revert: %v", err)
			}
		})
	}
}

// TestHostStateSurvivesInjectAndRevert puts rules and qdiscs of the host's
// own in place first; gameday must leave every one of them as it was.
func TestHostStateSurvivesInjectAndRevert(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{Redis: true})
	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	for _, argv := range [][]string{
		{"iptables", "-A", "INPUT", "-s", "192.0.2.0/24", "-p", "tcp", "--dport", "6379", "-j", "ACCEPT"},
		{"iptables", "-N", "SITE-POLICY"},
		{"iptables", "-A", "SITE-POLICY", "-p", "tcp", "--dport", "9999", "-j", "DROP"},
		{"iptables", "-A", "SITE-POLICY", "-s", "198.51.100.7", "-j", "REJECT"},
		{"iptables", "-A", "INPUT", "-j", "SITE-POLICY"},
		{"iptables", "-A", "OUTPUT", "-d", "203.0.113.0/24", "-j", "DROP"},
		{"ip6tables", "-A", "INPUT", "-s", "2001:db8::/32", "-j", "DROP"},
		{"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "tbf", "rate", "500mbit", "burst", "64kb", "latency", "50ms"},
		{"tc", "qdisc", "add", "dev", "lo", "root", "pfifo", "limit", "500"},
		{"ip", "link", "add", "gdfree0", "type", "veth", "peer", "name", "gdfree1"},
		{"ip", "link", "set", "gdfree0", "up"},
	} {
		bed.Exec(h1, argv...)
	}
	m := newManager(t, bed.Inventory())
	cases := map[string]struct {
		kind   string
		params map[string]string
		// armed checks the fault's effect while it is in place.
		armed   func(t *testing.T)
		wantErr string
	}{
		"partition from a peer": {kind: "partition", params: map[string]string{"peers": "host2"}, armed: func(t *testing.T) {
			if redisPings(bed, h2, h1) {
				t.Errorf("host2 still reaches host1's Redis")
			}
		}},
		"one-way partition": {kind: "partition", params: map[string]string{"peers": h2.Addr, "direction": "out"}, armed: func(t *testing.T) {
			if udpArrives(t, bed, h1, h2) {
				t.Errorf("host1's datagrams still reach host2")
			}
		}},
		"bandwidth on a device of its own": {kind: "bandwidth", params: map[string]string{"rate": "1mbit", "dev": "gdfree0"}, armed: func(t *testing.T) {}},
		"bandwidth on a device whose root qdisc is the host's": {kind: "bandwidth", params: map[string]string{"rate": "1mbit", "dev": "eth0"},
			wantErr: "already has a root qdisc"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := bed.Snapshot(h1)
			ctx := context.Background()
			a, err := m.Arm(ctx, inject.Request{Kind: tc.kind, Hosts: []string{"host1"}, Params: tc.params, TTL: time.Minute})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Arm err = %v, want one mentioning %q", err, tc.wantErr)
				}
				if after := bed.Snapshot(h1); after != before {
					t.Fatalf("a refused fault changed host1:\nbefore:\n%s\nafter:\n%s", before, after)
				}
				return
			}
			if err != nil {
				t.Fatalf("Arm: %v", err)
			}
			if bed.Snapshot(h1) == before {
				t.Fatalf("armed, yet host1's rules and qdiscs did not change")
			}
			tc.armed(t)
			if _, err := m.Revert(ctx, a.ID); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			if after := bed.Snapshot(h1); after != before {
				t.Fatalf("host1's own state changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// heldRedisConn opens a TCP connection from host from to to's Redis now
// and PINGs over it; the returned func PINGs once more over that same
// connection and tells whether PONG came back within a second.
func heldRedisConn(t *testing.T, from, to *nshost.Host) func() bool {
	t.Helper()
	flag := filepath.Join(t.TempDir(), "go")
	script := `exec 3<>/dev/tcp/` + to.Addr + `/6379 || exit 1
printf 'PING\r\n' >&3; read -r -t 1 a <&3; echo "first:$a"
while [ ! -e ` + flag + ` ]; do sleep 0.05; done
printf 'PING\r\n' >&3; read -r -t 1 b <&3; echo "second:$b"`
	cmd := exec.Command("ip", "netns", "exec", from.NS, "bash", "-c", script)
	out := &syncBuffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("connect %s -> %s: %v", from.Name, to.Name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	// The connection is open before the fault once the first PONG is in.
	for deadline := time.Now().Add(3 * time.Second); !strings.Contains(out.String(), "first:+PONG"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no PONG over a fresh connection %s -> %s: %q", from.Name, to.Name, out.String())
		}
	}
	return func() bool {
		if err := os.WriteFile(flag, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("the held connection %s -> %s did not finish", from.Name, to.Name)
		}
		return strings.Contains(out.String(), "second:+PONG")
	}
}

// syncBuffer is a strings.Builder a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPartitionFromPeersBySelector: peers=tag:dc2 on a dc1 host cuts it
// from every dc2 host the inventory tags so, and from no other host.
func TestPartitionFromPeersBySelector(t *testing.T) {
	bed := nshost.New(t, 4, nshost.Options{Redis: true})
	h1, h2, h3, h4 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2], bed.Hosts[3]
	inv := bed.Inventory()
	for i := range inv.Hosts {
		inv.Hosts[i].Tags = append(inv.Hosts[i].Tags, map[bool]string{true: "dc1", false: "dc2"}[i < 2])
	}
	m := newManager(t, inv)
	ctx := t.Context()
	a, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{h1.Name}, Params: map[string]string{"peers": "tag:dc2"}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	for _, f := range []struct {
		from, to *nshost.Host
		passes   bool
	}{{h1, h3, false}, {h4, h1, false}, {h1, h2, true}, {h2, h3, true}} {
		if got := redisPings(bed, f.from, f.to); got != f.passes {
			t.Errorf("armed: Redis PING %s -> %s passes = %v, want %v", f.from.Name, f.to.Name, got, f.passes)
		}
	}
	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if !redisPings(bed, h1, h3) || !redisPings(bed, h4, h1) {
		t.Errorf("reverted, yet host1 and the dc2 hosts still cannot reach each other")
	}
	// The faulted host is left out of its own peers.
	pv, err := m.Preview(ctx, inject.Request{Kind: "partition", Hosts: []string{h1.Name}, Params: map[string]string{"peers": "tag:dc1"}})
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(pv.Hosts[0].Inject, "\n")
	if !strings.Contains(plan, "-s "+h2.Addr+" ") || strings.Contains(plan, "-s "+h1.Addr+" ") {
		t.Errorf("peers=tag:dc1 on %s: want a rule for %s and none for %s itself:\n%s", h1.Name, h2.Addr, h1.Addr, plan)
	}
	if _, err := m.Preview(ctx, inject.Request{Kind: "partition", Hosts: []string{h1.Name}, Params: map[string]string{"peers": "tag:nowhere"}}); err == nil {
		t.Errorf("peers with a selector matching nothing planned")
	}
}
