package lab_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

// proxyAddr is the address clients use for a Redis lab node.
func proxyAddr(t *testing.T, l *lab.Lab, node string) string {
	t.Helper()
	ns, err := l.Client().Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Name == node {
			return n.ProxyAddr
		}
	}
	t.Fatalf("no node %s", node)
	return ""
}

// ping PINGs addr once with a fresh connection and returns how long it took.
func ping(addr string, timeout time.Duration) (time.Duration, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: timeout, ReadTimeout: timeout, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	began := time.Now()
	err := c.Ping(context.Background()).Err()
	return time.Since(began), err
}

func do(t *testing.T, c *labapi.Client, actions ...labapi.Action) {
	t.Helper()
	res, err := c.Do(context.Background(), false, actions...)
	if err != nil {
		t.Fatal(err)
	}
	if err := labapi.FirstError(res); err != nil {
		t.Fatal(err)
	}
}

// rawCall sends one HTTP request to the lab's control API, with the lab's
// token when withToken, and returns the answer and its body.
func rawCall(t *testing.T, l *lab.Lab, method, path, body string, withToken bool) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+l.Inventory().Lab.Control+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if withToken {
		tok, err := os.ReadFile(labapi.TokenPath(l.Dir()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// eventually polls cond every 100 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s (last: %s)", what, d, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestControlNetworkFaults shares one lab between faults that leave it as
// they found it.
func TestControlNetworkFaults(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	c := l.Client()

	for _, n := range []string{"redis-3", "sentinel-3"} {
		t.Run("cut and heal "+n, func(t *testing.T) {
			addr := proxyAddr(t, l, n)
			if _, err := ping(addr, time.Second); err != nil {
				t.Fatalf("PING through %s's proxy before the cut: %v", n, err)
			}
			do(t, c, labapi.Action{Op: labapi.OpCut, Node: n})
			if _, err := ping(addr, time.Second); err == nil {
				t.Fatalf("PING through %s's proxy succeeded while it was cut", n)
			}
			do(t, c, labapi.Action{Op: labapi.OpHeal, Node: n})
			if _, err := ping(addr, time.Second); err != nil {
				t.Fatalf("PING through %s's proxy after heal: %v", n, err)
			}
		})
	}

	t.Run("a cut replica loses its link to the master too", func(t *testing.T) {
		master := redis.NewClient(&redis.Options{Addr: proxyAddr(t, l, "redis-1")})
		defer master.Close()
		replicas := func() (bool, string) {
			info, err := master.Info(context.Background(), "replication").Result()
			if err != nil {
				return false, err.Error()
			}
			return strings.Contains(info, "connected_slaves:2"), strings.ReplaceAll(info, "\r\n", " ")
		}
		do(t, c, labapi.Action{Op: labapi.OpCut, Node: "redis-2"})
		eventually(t, 5*time.Second, "the master losing redis-2", func() (bool, string) {
			ok, st := replicas()
			return !ok && strings.Contains(st, "connected_slaves:1"), st
		})
		do(t, c, labapi.Action{Op: labapi.OpHeal, Node: "redis-2"})
		eventually(t, 10*time.Second, "redis-2 replicating again", replicas)
	})

	t.Run("an outgoing cut leaves the node reachable", func(t *testing.T) {
		addr := proxyAddr(t, l, "redis-3")
		rc := redis.NewClient(&redis.Options{Addr: addr})
		defer rc.Close()
		link := func() string {
			info, _ := rc.Info(context.Background(), "replication").Result()
			for _, line := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(line, "master_link_status:"); ok {
					return v
				}
			}
			return "unknown"
		}
		do(t, c, labapi.Action{Op: labapi.OpCut, Node: "redis-3", Direction: "out"})
		eventually(t, 10*time.Second, "redis-3's replication link going down", func() (bool, string) {
			st := link()
			return st == "down", st
		})
		if _, err := ping(addr, time.Second); err != nil {
			t.Fatalf("clients cannot reach redis-3 during an outgoing cut: %v", err)
		}
		do(t, c, labapi.Action{Op: labapi.OpHeal, Node: "redis-3", Direction: "out"})
		eventually(t, 10*time.Second, "redis-3's replication link up again", func() (bool, string) {
			st := link()
			return st == "up", st
		})
	})

	t.Run("a cut from chosen peers refuses only them", func(t *testing.T) {
		addr := proxyAddr(t, l, "sentinel-1")
		from := func(ip string) error {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: time.Second}
			rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ReadTimeout: time.Second,
				Dialer: func(ctx context.Context, network, a string) (net.Conn, error) { return d.DialContext(ctx, network, a) }})
			defer rc.Close()
			return rc.Ping(context.Background()).Err()
		}
		cut := labapi.Action{Op: labapi.OpCut, Node: "sentinel-1", Direction: "in", Peers: []string{"sentinel-2"}}
		do(t, c, cut)
		if err := from("127.0.0.22"); err == nil {
			t.Fatal("sentinel-2's address reached sentinel-1 through a peer cut")
		}
		if err := from("127.0.0.23"); err != nil {
			t.Fatalf("sentinel-3's address cannot reach sentinel-1: %v", err)
		}
		ns, _ := c.Nodes(context.Background())
		if n := node(ns, "sentinel-1"); len(n.Blocked) != 1 || n.Blocked[0] != "sentinel-2" || n.Cut {
			t.Fatalf("sentinel-1 reported as %+v; want blocked [sentinel-2], proxy not cut", n)
		}
		heal := cut
		heal.Op = labapi.OpHeal
		do(t, c, heal)
		if err := from("127.0.0.22"); err != nil {
			t.Fatalf("sentinel-2's address after heal: %v", err)
		}
	})

	t.Run("latency toxic slows everyone talking to the node", func(t *testing.T) {
		addr := proxyAddr(t, l, "redis-2")
		const delay = time.Second
		tox := &labapi.Toxic{Name: "gameday-latency", Type: "latency", Attributes: map[string]int{"latency": int(delay.Milliseconds()), "jitter": 0}}
		do(t, c, labapi.Action{Op: labapi.OpToxicAdd, Node: "redis-2", Toxic: tox})
		if d, err := ping(addr, 5*time.Second); err != nil || d < delay {
			t.Fatalf("PING with a %s latency toxic took %s (err %v); want >= %s", delay, d, err, delay)
		}
		do(t, c, labapi.Action{Op: labapi.OpToxicRemove, Node: "redis-2", Toxic: &labapi.Toxic{Name: "gameday-latency"}})
		// With the toxic, every PING takes the delay at least; without it,
		// the fastest of three is far below it even on a loaded machine
		// (one PING may be slow there for reasons of its own).
		fastest := time.Hour
		for range 3 {
			d, err := ping(addr, 5*time.Second)
			if err != nil {
				t.Fatalf("PING after removing the toxic: %v", err)
			}
			fastest = min(fastest, d)
		}
		if fastest >= delay {
			t.Fatalf("the fastest of three PINGs after removing the toxic took %s; want < %s", fastest, delay)
		}
		// Removing again is fine: reverts are idempotent.
		do(t, c, labapi.Action{Op: labapi.OpToxicRemove, Node: "redis-2", Toxic: &labapi.Toxic{Name: "gameday-latency"}})
	})

	t.Run("guard fires and reverts a cut", func(t *testing.T) {
		addr := proxyAddr(t, l, "redis-2")
		do(t, c, labapi.Action{Op: labapi.OpCut, Node: "redis-2"})
		g, err := c.ArmGuard(context.Background(), "guard-heal", 500*time.Millisecond, labapi.Action{Op: labapi.OpHeal, Node: "redis-2"})
		if err != nil {
			t.Fatal(err)
		}
		if g.Expires.IsZero() {
			t.Fatal("armed guard has no expiry")
		}
		if gs, _ := c.Guards(context.Background()); len(gs) != 1 || gs[0].ID != "guard-heal" {
			t.Fatalf("armed guards = %+v, want guard-heal", gs)
		}
		if _, err := ping(addr, 300*time.Millisecond); err == nil {
			t.Fatal("PING succeeded through a cut proxy")
		}
		eventually(t, 5*time.Second, "guard healing redis-2", func() (bool, string) {
			_, err := ping(addr, 300*time.Millisecond)
			return err == nil, errString(err)
		})
		fired := readFired(t, l.Dir())
		if len(fired) == 0 || fired[len(fired)-1].ID != "guard-heal" || fired[len(fired)-1].Reason != "ttl" || !fired[len(fired)-1].Results[0].OK {
			t.Fatalf("guards-fired.jsonl = %+v; want guard-heal fired by ttl", fired)
		}
		if st, err := os.Stat(filepath.Join(l.Dir(), "guards-fired.jsonl")); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("guards-fired.jsonl mode %v (%v), want 0600", st.Mode(), err)
		}
		if gs, _ := c.Guards(context.Background()); len(gs) != 0 {
			t.Fatalf("guards after firing = %+v, want none", gs)
		}
	})

	t.Run("cancelled guard does not fire", func(t *testing.T) {
		addr := proxyAddr(t, l, "redis-3")
		do(t, c, labapi.Action{Op: labapi.OpCut, Node: "redis-3"})
		if _, err := c.ArmGuard(context.Background(), "guard-cancel", 300*time.Millisecond, labapi.Action{Op: labapi.OpHeal, Node: "redis-3"}); err != nil {
			t.Fatal(err)
		}
		if err := c.CancelGuard(context.Background(), "guard-cancel"); err != nil {
			t.Fatal(err)
		}
		if err := c.CancelGuard(context.Background(), "guard-cancel"); err != nil {
			t.Fatalf("cancelling twice: %v", err)
		}
		time.Sleep(600 * time.Millisecond)
		if _, err := ping(addr, 300*time.Millisecond); err == nil {
			t.Fatal("a cancelled guard healed redis-3")
		}
		do(t, c, labapi.Action{Op: labapi.OpHeal, Node: "redis-3"})
	})

	t.Run("kafka broker cut and heal", func(t *testing.T) {
		broker := l.Inventory().Services.Kafka[0].Brokers[0]
		reach := func() error {
			cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.DialTimeout(time.Second), kgo.RequestRetries(0), kgo.RetryTimeout(time.Second))
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			return cl.Ping(ctx)
		}
		if err := reach(); err != nil {
			t.Fatalf("kafka-1 unreachable before the cut: %v", err)
		}
		do(t, c, labapi.Action{Op: labapi.OpCut, Node: "kafka-1"})
		if err := reach(); err == nil {
			t.Fatal("kafka-1 answered while cut")
		}
		ns, _ := c.Nodes(context.Background())
		if n := node(ns, "kafka-1"); !n.Cut {
			t.Fatalf("nodes report kafka-1 %+v, want cut", n)
		}
		do(t, c, labapi.Action{Op: labapi.OpHeal, Node: "kafka-1"})
		if err := reach(); err != nil {
			t.Fatalf("kafka-1 unreachable after heal: %v", err)
		}
	})

	t.Run("pause and continue", func(t *testing.T) {
		addr := proxyAddr(t, l, "redis-3")
		do(t, c, labapi.Action{Op: labapi.OpSignal, Node: "redis-3", Signal: "STOP"})
		ns, _ := c.Nodes(context.Background())
		if n := node(ns, "redis-3"); n.State != labapi.StatePaused {
			t.Fatalf("redis-3 state %q after STOP, want paused", n.State)
		}
		if _, err := ping(addr, 300*time.Millisecond); err == nil {
			t.Fatal("a SIGSTOPped redis answered PING")
		}
		do(t, c, labapi.Action{Op: labapi.OpSignal, Node: "redis-3", Signal: "CONT"})
		if _, err := ping(addr, time.Second); err != nil {
			t.Fatalf("redis-3 after CONT: %v", err)
		}
	})

	t.Run("only the token's readers control the lab", func(t *testing.T) {
		dir := l.Inventory().Lab.Dir
		st, err := os.Stat(labapi.TokenPath(dir))
		if err != nil {
			t.Fatalf("the lab wrote no token: %v", err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("token file mode %v, want 0600", st.Mode().Perm())
		}
		// Without the token, a cut is refused before it runs: the node
		// stays reachable.
		resp, b := rawCall(t, l, http.MethodPost, "/v1/do", `{"actions":[{"op":"cut","node":"redis-1"}]}`, false)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), labapi.TokenPath(dir)) {
			t.Fatalf("POST /v1/do without the token: %d %s; want 401 naming %s", resp.StatusCode, b, labapi.TokenPath(dir))
		}
		if _, err := ping(proxyAddr(t, l, "redis-1"), time.Second); err != nil {
			t.Fatalf("redis-1 unreachable after a refused cut: %v", err)
		}
		for _, path := range []string{"/v1/nodes", "/v1/health", "/v1/guards"} {
			if resp, b := rawCall(t, l, http.MethodGet, path, "", false); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("GET %s without the token: %d %s; want 401", path, resp.StatusCode, b)
			}
		}
		wrong := t.TempDir()
		if err := os.WriteFile(labapi.TokenPath(wrong), []byte("0123\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		unreadable := t.TempDir()
		if err := os.Mkdir(labapi.TokenPath(unreadable), 0o700); err != nil {
			t.Fatal(err)
		}
		addr := l.Inventory().Lab.Control
		clients := map[string]struct{ dir, want string }{
			"no dir":           {"", "refused the request: it needs the token from its lab dir's control.token, and no lab dir is known here"},
			"dir without one":  {t.TempDir(), "which does not exist"},
			"another token":    {wrong, "the token there does not match"},
			"unreadable token": {unreadable, "cannot read the lab control token (only the user who started the lab can control it)"},
		}
		for name, tc := range clients {
			_, err := labapi.NewClient(addr, tc.dir).Nodes(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("%s: err = %v; want one line containing %q", name, err, tc.want)
			}
		}
	})

	t.Run("bad actions", func(t *testing.T) {
		cases := map[string]struct {
			action labapi.Action
			want   string
		}{
			"unknown node":          {labapi.Action{Op: labapi.OpCut, Node: "redis-9"}, `no lab node named "redis-9"`},
			"unknown op":            {labapi.Action{Op: "explode", Node: "redis-1"}, `unknown op "explode"`},
			"unknown signal":        {labapi.Action{Op: labapi.OpSignal, Node: "redis-1", Signal: "WINCH"}, "unknown signal"},
			"toxic on a broker":     {labapi.Action{Op: labapi.OpToxicAdd, Node: "kafka-2", Toxic: &labapi.Toxic{Name: "x", Type: "latency"}}, "supports only cut and heal"},
			"broker cut from peers": {labapi.Action{Op: labapi.OpCut, Node: "kafka-1", Peers: []string{"kafka-2"}}, "cut whole"},
			"peer not in the lab":   {labapi.Action{Op: labapi.OpCut, Node: "redis-1", Peers: []string{"db-9"}}, `peer "db-9" is not`},
			"bad direction":         {labapi.Action{Op: labapi.OpCut, Node: "redis-1", Direction: "sideways"}, `direction "sideways"`},
			"kill a kfake broker":   {labapi.Action{Op: labapi.OpSignal, Node: "kafka-1", Signal: "KILL"}, "supports only cut and heal"},
			"file outside the lab":  {labapi.Action{Op: labapi.OpRemoveFile, Path: "/etc/hostname"}, "outside the lab dir"},
			"unknown toxic type":    {labapi.Action{Op: labapi.OpToxicAdd, Node: "redis-1", Toxic: &labapi.Toxic{Name: "x", Type: "gremlins"}}, "gremlins"},
			"faketime off":          {labapi.Action{Op: labapi.OpFaketime, Node: "redis-1", Offset: "-60s"}, "does not run under libfaketime"},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				res, err := c.Do(context.Background(), false, tc.action, labapi.Action{Op: labapi.OpCut, Node: "redis-1"})
				if err != nil {
					t.Fatal(err)
				}
				if res[0].OK || !strings.Contains(res[0].Error, tc.want) {
					t.Fatalf("result %+v; want an error containing %q", res[0], tc.want)
				}
				if !res[1].Skipped {
					t.Fatalf("the action after a failure ran: %+v", res[1])
				}
			})
		}
		guards := map[string]struct{ body, want string }{
			"no ttl":        {`{"id":"g","ttl":"0s","actions":[{"op":"heal","node":"redis-1"}]}`, "must be above 0"},
			"ttl too long":  {`{"id":"g","ttl":"25h","actions":[{"op":"heal","node":"redis-1"}]}`, "at most 24h"},
			"no actions":    {`{"id":"g","ttl":"1m"}`, "no revert actions"},
			"no id":         {`{"ttl":"1m","actions":[{"op":"heal","node":"redis-1"}]}`, "id is empty"},
			"bad ttl":       {`{"id":"g","ttl":"soon","actions":[]}`, "invalid duration"},
			"unknown field": {`{"id":"g","ttl":"1m","forever":true}`, "unknown field"},
			"flap too fast": {`{"id":"g","ttl":"1m","actions":[{"op":"heal","node":"redis-1"}],"flap":{"cut":"10ms","heal":"1s","inject":[{"op":"cut","node":"redis-1"}]}}`, "must each be at least 100ms"},
			"flap no cut":   {`{"id":"g","ttl":"1m","actions":[{"op":"heal","node":"redis-1"}],"flap":{"cut":"1s","heal":"1s"}}`, "flap has no inject actions"},
		}
		for name, tc := range guards {
			t.Run("guard "+name, func(t *testing.T) {
				resp, b := rawCall(t, l, http.MethodPost, "/v1/guards", tc.body, true)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
					t.Fatalf("status %d body %s; want 400 containing %q", resp.StatusCode, b, tc.want)
				}
			})
		}
		if gs, _ := c.Guards(context.Background()); len(gs) != 0 {
			t.Fatalf("bad guards were armed: %+v", gs)
		}
	})
}

func node(ns []labapi.NodeStatus, name string) labapi.NodeStatus {
	for _, n := range ns {
		if n.Name == name {
			return n
		}
	}
	return labapi.NodeStatus{}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func readFired(t *testing.T, dir string) []labapi.FiredGuard {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "guards-fired.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labapi.FiredGuard
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var fg labapi.FiredGuard
		if err := json.Unmarshal(sc.Bytes(), &fg); err != nil {
			t.Fatalf("guards-fired.jsonl: %v", err)
		}
		out = append(out, fg)
	}
	return out
}

// TestKillMasterFailsOverAndRejoins is the kill fault's round trip: the
// Sentinels elect a new master, and the old one, started again, rejoins as
// a replica.
func TestKillMasterFailsOverAndRejoins(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	dumpLogsOnFailure(t, l.Dir())
	inv := l.Inventory()
	c := labapi.NewClient(inv.Lab.Control, inv.Lab.Dir)
	old := agreed(sentinelMasters(t, inv))
	oldAddr := proxyAddr(t, l, "redis-1")
	if old != oldAddr {
		t.Fatalf("master at start is %s, want redis-1 (%s)", old, oldAddr)
	}
	res, err := c.Do(context.Background(), false, labapi.Action{Op: labapi.OpSignal, Node: "redis-1", Signal: "KILL"})
	if err != nil || !res[0].OK {
		t.Fatalf("kill redis-1: %v %+v", err, res)
	}
	ns, _ := c.Nodes(context.Background())
	if n := node(ns, "redis-1"); n.State != labapi.StateStopped {
		t.Fatalf("redis-1 is %s after KILL", n.State)
	}
	eventually(t, 20*time.Second, "sentinel failover", func() (bool, string) {
		ms := sentinelMasters(t, inv)
		m := agreed(ms)
		return m != "" && m != old, strings.Join(ms, " ")
	})
	do(t, c, labapi.Action{Op: labapi.OpStart, Node: "redis-1"})
	eventually(t, 20*time.Second, "old master rejoining as a replica", func() (bool, string) {
		rc := redis.NewClient(&redis.Options{Addr: oldAddr, DialTimeout: time.Second, ReadTimeout: time.Second})
		defer rc.Close()
		info, err := rc.Info(context.Background(), "replication").Result()
		if err != nil {
			return false, err.Error()
		}
		return strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up"), strings.ReplaceAll(info, "\r\n", " ")
	})
}

// TestStopLeavesNothingAndRevertsGuards proves Stop runs the reverts of
// armed guards and leaves no process behind.
func TestStopLeavesNothingAndRevertsGuards(t *testing.T) {
	dir := t.TempDir()
	l, err := lab.Start(context.Background(), lab.Options{Dir: dir, NoKafka: true})
	if err != nil {
		t.Fatal(err)
	}
	c := l.Client()
	filler := filepath.Join(dir, "redis-2", "gameday-filler")
	if err := os.WriteFile(filler, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ArmGuard(context.Background(), "disk", time.Hour, labapi.Action{Op: labapi.OpRemoveFile, Path: filler}); err != nil {
		t.Fatal(err)
	}
	ns, err := c.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, n := range ns {
		if n.Kind != labapi.KindKafka && n.PID > 0 {
			if err := syscallKill0(n.PID); err == nil {
				t.Errorf("%s (pid %d) is still alive after Stop", n.Name, n.PID)
			}
		}
	}
	if left := lab.ProcessesIn(dir); len(left) > 0 {
		t.Fatalf("processes %v still run in the lab dir", left)
	}
	if _, err := os.Stat(filler); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the guarded filler file survived Stop: %v", err)
	}
	fired := readFired(t, dir)
	if len(fired) != 1 || fired[0].Reason != "lab stopped" {
		t.Fatalf("guards-fired.jsonl = %+v; want disk fired because the lab stopped", fired)
	}
	if _, err := os.Stat(filepath.Join(dir, "guards.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("guards.json still lists guards after Stop: %v", err)
	}
}

// TestOrphanGuardsRunAtStart: guards a dead lab left in guards.json are
// reverted by the next lab in the same dir.
func TestOrphanGuardsRunAtStart(t *testing.T) {
	dir := t.TempDir()
	filler := filepath.Join(dir, "old-filler")
	if err := os.WriteFile(filler, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	orphans := []labapi.Guard{{ID: "left-behind", TTL: labapi.Duration(time.Minute), Actions: []labapi.Action{{Op: labapi.OpRemoveFile, Path: filler}}}}
	b, _ := json.Marshal(orphans)
	if err := os.WriteFile(filepath.Join(dir, "guards.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), lab.Options{Dir: dir, NoRedis: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Stop()
	if _, err := os.Stat(filler); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the orphan guard's revert did not run: %v", err)
	}
	fired := readFired(t, dir)
	if len(fired) != 1 || fired[0].ID != "left-behind" || fired[0].Reason != "lab restarted" {
		t.Fatalf("guards-fired.jsonl = %+v", fired)
	}
}

// syscallKill0 reports whether pid exists (signal 0 probes without
// signalling).
func syscallKill0(pid int) error { return syscall.Kill(pid, 0) }

// TestFaketimeRefusedClearly: Debian 12's redis-server deadlocks under
// libfaketime; the lab must say so in one sentence instead of hanging.
func TestFaketimeRefusedClearly(t *testing.T) {
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"); err != nil {
		t.Skip("libfaketime is not installed (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	l, err := lab.Start(context.Background(), lab.Options{Dir: dir, NoKafka: true, Faketime: true})
	if err == nil {
		// A redis-server that works under libfaketime: its clock must
		// then really move with the offset.
		defer l.Stop()
		clockMoves(t, l)
		return
	}
	if !strings.Contains(err.Error(), "libfaketime") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q; want one sentence naming libfaketime", err)
	}
	if left := lab.ProcessesIn(dir); len(left) > 0 {
		t.Fatalf("processes %v left after a refused start", left)
	}
}

// clockMoves sets a -1h offset on redis-2 and expects its TIME to follow.
func clockMoves(t *testing.T, l *lab.Lab) {
	t.Helper()
	c := l.Client()
	rc := redis.NewClient(&redis.Options{Addr: proxyAddr(t, l, "redis-2")})
	defer rc.Close()
	do(t, c, labapi.Action{Op: labapi.OpFaketime, Node: "redis-2", Offset: "-3600"})
	now, err := rc.Time(context.Background()).Result()
	if err != nil || time.Until(now) > -59*time.Minute {
		t.Fatalf("redis-2 TIME = %v (%v) with a -1h offset", now, err)
	}
	do(t, c, labapi.Action{Op: labapi.OpFaketime, Node: "redis-2", Offset: "+0"})
	now, err = rc.Time(context.Background()).Result()
	if err != nil || time.Until(now) < -time.Minute {
		t.Fatalf("redis-2 TIME = %v (%v) after the offset was reverted", now, err)
	}
}

// dumpLogsOnFailure logs every node's log if the test fails.
func dumpLogsOnFailure(t *testing.T, dir string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, p := range logs {
			b, _ := os.ReadFile(p)
			t.Logf("%s:\n%s", filepath.Base(p), b)
		}
	})
}
