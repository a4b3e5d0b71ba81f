package inject

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// toxiBed is a real Toxiproxy server (the module's cmd/server, v2.12.0 as
// go.mod pins it) running as a process of its own, with a real Redis
// behind its proxy "cache", which already carries a toxic of the user's.
type toxiBed struct {
	Client *toxiclient.Client
	API    string // the server's API URL
	Listen string // the proxy's listen address
	Redis  string // Redis itself, behind the proxy
}

var toxiproxyBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gameday-toxiproxy-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "toxiproxy-server")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/Shopify/toxiproxy/v2/cmd/server").CombinedOutput(); err != nil {
		return "", &exec.Error{Name: "go build toxiproxy-server: " + strings.TrimSpace(string(out)), Err: err}
	}
	return bin, nil
})

// newToxiBed starts the server and Redis for one test.
func newToxiBed(t testing.TB) *toxiBed {
	t.Helper()
	bin, err := toxiproxyBin()
	if err != nil {
		t.Fatal(err)
	}
	apiPort, redisPort, listenPort := freePortTB(t), freePortTB(t), freePortTB(t)
	startProcess(t, "redis-server", "--port", redisPort, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	startProcess(t, bin, "-host", "127.0.0.1", "-port", apiPort)
	b := &toxiBed{API: "http://127.0.0.1:" + apiPort, Listen: "127.0.0.1:" + listenPort, Redis: "127.0.0.1:" + redisPort}
	b.Client = toxiclient.NewClient(b.API)
	waitUp(t, "toxiproxy-server", func() error { _, err := b.Client.Version(); return err })
	waitUp(t, "redis-server", func() error {
		conn, err := net.Dial("tcp", b.Redis)
		if err == nil {
			conn.Close()
		}
		return err
	})
	p, err := b.Client.CreateProxy("cache", b.Listen, b.Redis)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddToxic("users-own", "bandwidth", "upstream", 1, toxiclient.Attributes{"rate": 100000}); err != nil {
		t.Fatal(err)
	}
	return b
}

// waitUp waits for a process started by the test to answer (a bound on a
// hang, not on speed).
func waitUp(t testing.TB, what string, up func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := up()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePortTB(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// Inventory is an inventory whose host cache-1 goes through the bed's
// proxy "cache" on the server "staging".
func (b *toxiBed) Inventory() *targets.Inventory {
	return &targets.Inventory{
		Toxiproxy: []targets.ToxiproxyServer{{Name: "staging", API: b.API}},
		Hosts:     []targets.Host{{Name: "cache-1", Toxiproxy: &targets.ToxiproxyProxy{Server: "staging", Proxy: "cache"}}},
	}
}

// Proxies is the server's whole GET /proxies, re-encoded with sorted keys
// and toxics so two states compare byte for byte.
func (b *toxiBed) Proxies(t testing.TB) string {
	t.Helper()
	resp, err := http.Get(b.API + "/proxies")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all map[string]map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if ts, ok := p["toxics"].([]any); ok {
			sortByName(ts)
		}
	}
	out, err := json.MarshalIndent(all, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func sortByName(ts []any) {
	name := func(v any) string { m, _ := v.(map[string]any); s, _ := m["name"].(string); return s }
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && name(ts[j]) < name(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// ping sends one Redis PING through the proxy: how long it took, and
// whether PONG came back within 5 s.
func ping(addr string) (time.Duration, bool) {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return time.Since(start), false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return time.Since(start), false
	}
	buf := make([]byte, 7)
	n, _ := conn.Read(buf)
	return time.Since(start), strings.HasPrefix(string(buf[:n]), "+PONG")
}

// gate puts a reverse proxy of the test's in front of the bed's API;
// refuse answers a request itself when it returns true.
func (b *toxiBed) gate(t testing.TB, refuse func(w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	up, _ := url.Parse(b.API)
	rp := httputil.NewSingleHostReverseProxy(up)
	g := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !refuse(w, r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(g.Close)
	return g
}

// toxiManager is a Manager over inv with a ledger of the test's own,
// closed when the test ends.
func toxiManager(t testing.TB, inv *targets.Inventory) *Manager {
	t.Helper()
	m, err := NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// waitSettled reconciles until the fault is no longer armed (a bound on a
// hang, not on speed: the guard fires on a loaded machine too).
func waitSettled(t *testing.T, m *Manager, a Armed) Armed {
	t.Helper()
	time.Sleep(time.Until(a.Deadline))
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := m.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := find(t, m, a.ID); got.State != StateArmed || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestToxiproxyExecutor arms faults through a real Toxiproxy server in
// front of a real Redis: latency slows PINGs by at least its delay, a
// partition stops them, each revert leaves the server's proxies and
// toxics exactly as the user had them, and the guard on this machine
// removes gameday's toxic at TTL with no gameday left to do it.
func TestToxiproxyExecutor(t *testing.T) {
	b := newToxiBed(t)
	m := toxiManager(t, b.Inventory())
	ctx := t.Context()
	users := b.Proxies(t)
	if _, ok := ping(b.Listen); !ok {
		t.Fatal("no PONG through the proxy before any fault")
	}

	t.Run("latency", func(t *testing.T) {
		const delay = 300 * time.Millisecond
		pv, err := m.Preview(ctx, Request{Kind: "latency", Hosts: []string{"cache-1"}, Params: map[string]string{"delay": delay.String()}, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if pv.Hosts[0].Executor != "toxiproxy" {
			t.Fatalf("planned with %s, want toxiproxy", pv.Hosts[0].Executor)
		}
		a, err := m.ArmPlan(ctx, pv)
		if err != nil {
			t.Fatalf("Arm: %v", err)
		}
		// The toxic delays the reply: no PING can come back sooner.
		if d, ok := ping(b.Listen); !ok || d < delay {
			t.Errorf("armed: PING took %s (PONG %v), want at least %s", d, ok, delay)
		}
		if got := b.Proxies(t); !strings.Contains(got, `"name": "gameday-`+a.ID+`-latency"`) || !strings.Contains(got, `"name": "users-own"`) {
			t.Errorf("armed: the server's proxies are %s, want gameday-%s-latency beside the user's", got, a.ID)
		}
		if _, err := m.Revert(ctx, a.ID); err != nil {
			t.Fatalf("Revert: %v", err)
		}
		if _, ok := ping(b.Listen); !ok {
			t.Errorf("reverted: no PONG")
		}
		if got := b.Proxies(t); got != users {
			t.Errorf("reverted: the server's proxies are\n%s\nwant the user's as they were\n%s", got, users)
		}
	})

	t.Run("partition", func(t *testing.T) {
		a, err := m.Arm(ctx, Request{Kind: "partition", Hosts: []string{"cache-1"}, TTL: time.Minute})
		if err != nil {
			t.Fatalf("Arm: %v", err)
		}
		// A disabled proxy does not listen: the connection is refused.
		if conn, err := net.DialTimeout("tcp", b.Listen, 5*time.Second); err == nil {
			conn.Close()
			t.Errorf("armed: the proxy still accepts connections")
		}
		if _, ok := ping(b.Listen); ok {
			t.Errorf("armed: PONG through a partitioned proxy")
		}
		if _, err := m.Revert(ctx, a.ID); err != nil {
			t.Fatalf("Revert: %v", err)
		}
		if _, ok := ping(b.Listen); !ok {
			t.Errorf("reverted: no PONG through the proxy")
		}
		if got := b.Proxies(t); got != users {
			t.Errorf("reverted: the server's proxies are %s, want the user's %s", got, users)
		}
	})

	t.Run("loss", func(t *testing.T) {
		// 100 % stops every connection's data.
		for _, c := range []struct {
			percent string
			pong    bool
		}{{"100", false}} {
			a, err := m.Arm(ctx, Request{Kind: "loss", Hosts: []string{"cache-1"}, Params: map[string]string{"percent": c.percent}, TTL: time.Minute, IKnow: true})
			if err != nil {
				t.Fatalf("Arm loss %s%%: %v", c.percent, err)
			}
			if _, ok := ping(b.Listen); ok != c.pong {
				t.Errorf("loss %s%%: PONG %v, want %v", c.percent, ok, c.pong)
			}
			if _, err := m.Revert(ctx, a.ID); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			if got := b.Proxies(t); got != users {
				t.Errorf("reverted: the server's proxies are %s, want the user's %s", got, users)
			}
		}
		if _, ok := ping(b.Listen); !ok {
			t.Errorf("reverted: no PONG through the proxy")
		}
	})

	t.Run("the guard on this machine reverts at TTL", func(t *testing.T) {
		a, err := m.Arm(ctx, Request{Kind: "latency", Hosts: []string{"cache-1"}, Params: map[string]string{"delay": "300ms"}, TTL: 2 * time.Second})
		if err != nil {
			t.Fatalf("Arm: %v", err)
		}
		// Nobody reverts: gameday is gone as far as the fault goes.
		if got := waitSettled(t, m, a); got.State != StateExpired {
			t.Errorf("after the TTL: %s (%s), want expired, verified gone", got.State, got.Error)
		}
		if got := b.Proxies(t); got != users {
			t.Errorf("after the guard: the server's proxies are %s, want the user's %s", got, users)
		}
	})

	t.Run("gameday check asks the server for the proxy", func(t *testing.T) {
		inv := b.Inventory()
		check, closeCheck := LoginCheck(sshx.Config{})
		defer closeCheck()
		row := check(ctx, inv, inv.Hosts[0])
		if !row.OK || row.Kind != "toxiproxy staging" || !strings.HasPrefix(row.Detail, "proxy cache enabled, "+b.Listen+" → "+b.Redis+", 1 toxics") {
			t.Errorf("check row %+v, want OK: proxy cache enabled with the user's toxic", row)
		}
		inv.Hosts[0].Toxiproxy.Proxy = "cahce"
		if row := check(ctx, inv, inv.Hosts[0]); row.OK || !strings.Contains(row.Detail, `no proxy "cahce"; did you mean "cache"?`) {
			t.Errorf("check row %+v, want a failure naming the server's proxies", row)
		}
	})

	t.Run("a proxy the server does not have", func(t *testing.T) {
		inv := b.Inventory()
		inv.Hosts[0].Toxiproxy.Proxy = "cahce"
		m2 := toxiManager(t, inv)
		_, err := m2.Preview(ctx, Request{Kind: "latency", Hosts: []string{"cache-1"}})
		if err == nil || !strings.Contains(err.Error(), `no proxy "cahce"; did you mean "cache"?`) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Preview: %v, want one sentence naming the proxies the server has", err)
		}
	})
}

// TestToxiproxyToken goes through an authenticating reverse proxy in front
// of the real server: every request of the plan, the steps and the guard
// carries the token, read from its env: reference, and the token is in
// neither the ledger nor the plan.
func TestToxiproxyToken(t *testing.T) {
	const token = "tok-5e5c7d2a91"
	t.Setenv("GAMEDAY_TEST_TOXIPROXY_TOKEN", token)
	b := newToxiBed(t)
	var refused sync.Map
	gate := b.gate(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer "+token {
			refused.Store(r.Method+" "+r.URL.Path, true)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return true
		}
		return false
	})
	inv := b.Inventory()
	inv.Toxiproxy[0] = targets.ToxiproxyServer{Name: "staging", API: gate.URL + "/", Token: "env:GAMEDAY_TEST_TOXIPROXY_TOKEN"}
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	m, err := NewManager(inv, nil, ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	users := b.Proxies(t)
	pv, err := m.Preview(t.Context(), Request{Kind: "latency", Hosts: []string{"cache-1"}, Params: map[string]string{"delay": "300ms"}, TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.ArmPlan(t.Context(), pv)
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	if d, ok := ping(b.Listen); !ok || d < 300*time.Millisecond {
		t.Errorf("armed: PING took %s (PONG %v), want at least 300ms", d, ok)
	}
	if got := waitSettled(t, m, a); got.State != StateExpired {
		t.Errorf("after the TTL: %s (%s), want expired, verified gone", got.State, got.Error)
	}
	if got := b.Proxies(t); got != users {
		t.Errorf("after the guard: %s, want the user's %s", got, users)
	}
	refused.Range(func(k, _ any) bool { t.Errorf("the gate refused %s: sent without the token", k); return true })
	data, err := os.ReadFile(ledger)
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := json.Marshal(pv)
	for what, s := range map[string]string{"ledger": string(data), "plan": string(plan)} {
		if strings.Contains(s, token) {
			t.Errorf("the %s holds the token", what)
		}
		if !strings.Contains(s, "GAMEDAY_TEST_TOXIPROXY_TOKEN") {
			t.Errorf("the %s does not name the token's reference", what)
		}
	}
}
