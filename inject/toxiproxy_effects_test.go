package inject

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
)

// startSentinel starts Debian's redis-sentinel watching the master at
// addr (the bed's proxy), so that redis.latency — a Sentinel-aware
// client, as applications use — reaches Redis through the proxy.
func startSentinel(t *testing.T, addr string) string {
	t.Helper()
	port := freePortTB(t)
	host, mport, _ := strings.Cut(addr, ":")
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	cfg := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster %s %s 1\nsentinel down-after-milliseconds mymaster 600000\n", port, filepath.Dir(conf), host, mport)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, "redis-sentinel", conf)
	s := "127.0.0.1:" + port
	waitUp(t, "redis-sentinel", func() error {
		_, ok := ping(s)
		if !ok {
			return fmt.Errorf("no PONG from %s", s)
		}
		return nil
	})
	return s
}

// latencyReading waits for a redis.latency reading whose whole window
// began after since (a bound on a hang, not on speed).
func latencyReading(t *testing.T, set *probes.Set, since time.Time) probes.Reading {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		for _, r := range set.Latest() {
			if r.Probe == "redis.latency" && r.Count > 0 && r.Time.Add(-time.Duration(r.Window)).After(since) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no redis.latency reading of a window after %s: %+v", since.Format(time.TimeOnly), set.Latest())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestToxiproxyLatencyShowsInRedisLatencyP99: a latency fault through the
// real Toxiproxy server shows in gameday's own redis.latency probe (a
// Sentinel-aware client that reaches Redis through the proxy): its p99
// rises by at least the delay over the p99 measured before the fault,
// and falls by at least the delay once the fault is reverted.
func TestToxiproxyLatencyShowsInRedisLatencyP99(t *testing.T) {
	b := newToxiBed(t)
	sentinel := startSentinel(t, b.Listen)
	inv := b.Inventory()
	inv.Services.Redis = []targets.Redis{{Name: "cache", Sentinels: []string{sentinel}, Master: "mymaster",
		Probes: targets.Probes{"latency": {Rate: 5, Timeout: 10 * time.Second}}}}
	const window = 2 * time.Second
	set, err := probes.NewSet(inv, nil, probes.Options{Report: 250 * time.Millisecond, Window: window})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	m := toxiManager(t, inv)

	// The baseline: the worst p99 of three whole windows before the fault.
	var base float64
	since := time.Now()
	for range 3 {
		r := latencyReading(t, set, since)
		if r.Errors > 0 {
			t.Fatalf("baseline window has errors: %+v", r)
		}
		base, since = max(base, r.P99), r.Time
	}
	// A delay well above what load does to a baseline: each reading's
	// SET and GET both wait for it.
	const delay = time.Second
	a, err := m.Arm(ctx, Request{Kind: "latency", Hosts: []string{"cache-1"}, Params: map[string]string{"delay": delay.String()}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	armed := latencyReading(t, set, time.Now())
	reverted := time.Now()
	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	// Requests sent under the fault finish within two delays of the
	// revert: judge a window that begins after them.
	after := latencyReading(t, set, reverted.Add(3*delay))
	t.Logf("redis.latency p99: baseline %.1f ms, armed (delay %s) %.1f ms, after revert %.1f ms", base, delay, armed.P99, after.P99)
	d := float64(delay.Milliseconds())
	if armed.P99 < base+d {
		t.Errorf("armed: p99 %.1f ms, want at least the baseline %.1f ms + the delay %.0f ms", armed.P99, base, d)
	}
	if after.P99 > armed.P99-d {
		t.Errorf("reverted: p99 %.1f ms, want at least the delay %.0f ms below the armed %.1f ms", after.P99, d, armed.P99)
	}
}

// TestToxiproxyGuardRevertFails: the guard on this machine fires while
// the server's API does not answer (its gateway says 502): the fault is
// recorded "expired, revert failed" with the guard's reason, the toxic is
// still there and the fault still counts as possibly in place; once the
// API answers again, revert --all removes it and the server is as the
// user had it.
func TestToxiproxyGuardRevertFails(t *testing.T) {
	b := newToxiBed(t)
	var down atomic.Bool
	gate := b.gate(t, func(w http.ResponseWriter, _ *http.Request) bool {
		refuse := down.Load()
		if refuse {
			http.Error(w, "upstream toxiproxy unavailable", http.StatusBadGateway)
		}
		return refuse
	})
	inv := b.Inventory()
	inv.Toxiproxy[0].API = gate.URL
	m := toxiManager(t, inv)
	users := b.Proxies(t)
	a, err := m.Arm(t.Context(), Request{Kind: "latency", Hosts: []string{"cache-1"}, Params: map[string]string{"delay": "100ms"}, TTL: 2 * time.Second})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	down.Store(true)
	got := waitSettled(t, m, a)
	t.Logf("recorded: %s: %s", got.State, got.Error)
	if got.State != StateExpiredFailed || !got.Active || !strings.Contains(got.Error, "502 Bad Gateway") {
		t.Errorf("after the TTL with the API down: %s (active %v, %q), want expired, revert failed with the API's 502, still active", got.State, got.Active, got.Error)
	}
	if !strings.Contains(b.Proxies(t), `"name": "gameday-`+a.ID+`-latency"`) {
		t.Fatalf("the toxic is gone although the API did not answer the guard")
	}
	down.Store(false)
	if _, err := m.RevertAll(t.Context()); err != nil {
		t.Fatalf("RevertAll with the API back: %v", err)
	}
	if got := b.Proxies(t); got != users {
		t.Errorf("after revert --all: the server's proxies are\n%s\nwant the user's\n%s", got, users)
	}
	if got := find(t, m, a.ID); got.Active {
		t.Errorf("after revert --all the fault is %s, still active", got.State)
	}
}

// redisDo sends one inline command and returns the first line of the
// reply ("" when none came within 2 s: the one-way partitions below stop
// a reply for good, so the wait ends only by its bound).
func redisDo(addr, cmd string) string {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte(cmd + "\r\n")); err != nil {
		return ""
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestToxiproxyOneWayPartition: a partition with direction in stops what
// clients send (a SET through the proxy never reaches Redis), with
// direction out what Redis answers (the SET is done, its reply never
// comes); both revert to the user's toxics exactly.
func TestToxiproxyOneWayPartition(t *testing.T) {
	b := newToxiBed(t)
	m := toxiManager(t, b.Inventory())
	users := b.Proxies(t)
	for _, c := range []struct {
		dir, toxic string
		reaches    bool
	}{{"in", "timeout-upstream", false}, {"out", "timeout", true}} {
		key := "k-" + c.dir
		a, err := m.Arm(t.Context(), Request{Kind: "partition", Hosts: []string{"cache-1"}, Params: map[string]string{"direction": c.dir}, TTL: time.Minute})
		if err != nil {
			t.Fatalf("%s: Arm: %v", c.dir, err)
		}
		if !strings.Contains(b.Proxies(t), `"name": "gameday-`+a.ID+`-`+c.toxic+`"`) {
			t.Errorf("%s: no toxic gameday-%s-%s on the proxy:\n%s", c.dir, a.ID, c.toxic, b.Proxies(t))
		}
		if got := redisDo(b.Listen, "SET "+key+" v"); got != "" {
			t.Errorf("%s: SET through the proxy answered %q, want no answer", c.dir, got)
		}
		if got := redisDo(b.Redis, "EXISTS "+key); got != map[bool]string{true: ":1", false: ":0"}[c.reaches] {
			t.Errorf("%s: EXISTS %s on Redis itself = %q, want the SET to have reached it: %v", c.dir, key, got, c.reaches)
		}
		if _, err := m.Revert(t.Context(), a.ID); err != nil {
			t.Fatalf("%s: Revert: %v", c.dir, err)
		}
		if got := redisDo(b.Listen, "PING"); got != "+PONG" {
			t.Errorf("%s: reverted: PING through the proxy = %q", c.dir, got)
		}
		if got := b.Proxies(t); got != users {
			t.Errorf("%s: reverted: the server's proxies are\n%s\nwant the user's\n%s", c.dir, got, users)
		}
	}
}

// readReply sends cmd and reads until the connection closes, a full
// bulk reply of n bytes arrives, or 10 s pass: what came, how long it
// took, and whether the connection was closed.
func readReply(t *testing.T, addr, cmd string, n int) ([]byte, time.Duration, bool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(10 * time.Second))
	if _, err := conn.Write([]byte(cmd + "\r\n")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < n {
		k, err := conn.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil {
			return got, time.Since(start), errors.Is(err, io.EOF)
		}
	}
	return got, time.Since(start), false
}

// TestToxiproxySlicerAndLimitData: slicer cuts a 4000-byte reply into
// 100-byte pieces with 20 ms between them (the whole reply can come no
// sooner than 39 pauses), and limit-data closes the connection after
// exactly its bytes; both revert to the user's toxics exactly.
func TestToxiproxySlicerAndLimitData(t *testing.T) {
	b := newToxiBed(t)
	m := toxiManager(t, b.Inventory())
	users := b.Proxies(t)
	value := strings.Repeat("v", 4000)
	if got := redisDo(b.Redis, "SET big "+value); got != "+OK" {
		t.Fatalf("SET big on Redis: %q", got)
	}
	reply := len("$4000\r\n") + 4000 + 2
	if got, _, _ := readReply(t, b.Listen, "GET big", reply); len(got) != reply {
		t.Fatalf("before any fault: GET big through the proxy gave %d bytes, want %d", len(got), reply)
	}

	a, err := m.Arm(t.Context(), Request{Kind: "slicer", Hosts: []string{"cache-1"}, Params: map[string]string{"size": "100B", "variation": "0", "delay": "20ms"}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm slicer: %v", err)
	}
	got, took, _ := readReply(t, b.Listen, "GET big", reply)
	if len(got) != reply || took < 39*20*time.Millisecond {
		t.Errorf("slicer: GET big gave %d of %d bytes in %s, want all of them in no less than 780ms", len(got), reply, took)
	}
	if _, err := m.Revert(t.Context(), a.ID); err != nil {
		t.Fatalf("Revert slicer: %v", err)
	}
	if got := b.Proxies(t); got != users {
		t.Errorf("slicer reverted: the server's proxies are\n%s\nwant the user's\n%s", got, users)
	}

	a, err = m.Arm(t.Context(), Request{Kind: "limit-data", Hosts: []string{"cache-1"}, Params: map[string]string{"bytes": "16"}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm limit-data: %v", err)
	}
	if got, _, closed := readReply(t, b.Listen, "GET big", reply); len(got) != 16 || !closed {
		t.Errorf("limit-data 16: GET big gave %d bytes (closed %v), want 16 and the connection closed", len(got), closed)
	}
	if _, err := m.Revert(t.Context(), a.ID); err != nil {
		t.Fatalf("Revert limit-data: %v", err)
	}
	if got, _, _ := readReply(t, b.Listen, "GET big", reply); len(got) != reply {
		t.Errorf("limit-data reverted: GET big gave %d bytes, want %d", len(got), reply)
	}
	if got := b.Proxies(t); got != users {
		t.Errorf("limit-data reverted: the server's proxies are\n%s\nwant the user's\n%s", got, users)
	}
}
