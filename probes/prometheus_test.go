package probes

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gameday-dev/gameday/internal/promserver"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// scrapeTarget is a /metrics endpoint the test controls: a gauge
// gameday_test_value per shard, and a record of when each scrape was
// answered and with what.
type scrapeTarget struct {
	addr string

	mu      sync.Mutex
	values  map[string]float64 // shard → value
	scrapes []scrape
}

type scrape struct {
	done   time.Time // when the answer had been written
	values map[string]float64
}

func newScrapeTarget(t *testing.T, values map[string]float64) *scrapeTarget {
	t.Helper()
	st := &scrapeTarget{values: values}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st.addr = l.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(st.serve), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return st
}

func (st *scrapeTarget) serve(w http.ResponseWriter, _ *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	snap := map[string]float64{}
	var b strings.Builder
	b.WriteString("# TYPE gameday_test_value gauge\n")
	shards := make([]string, 0, len(st.values))
	for s := range st.values {
		shards = append(shards, s)
	}
	sort.Strings(shards)
	for _, s := range shards {
		fmt.Fprintf(&b, "gameday_test_value{shard=%q} %g\n", s, st.values[s])
		snap[s] = st.values[s]
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte(b.String()))
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	st.scrapes = append(st.scrapes, scrape{done: time.Now(), values: snap})
}

func (st *scrapeTarget) set(shard string, v float64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.values[shard] = v
}

// firstScrapeWith returns when the first scrape answered with shard at v
// was written, and whether there was one.
func (st *scrapeTarget) firstScrapeWith(shard string, v float64) (time.Time, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, s := range st.scrapes {
		if got, ok := s.values[shard]; ok && got == v {
			return s.done, true
		}
	}
	return time.Time{}, false
}

// startPrometheus starts a real Prometheus scraping targets every 500 ms.
func startPrometheus(t *testing.T, opts promserver.Options) *promserver.Server {
	t.Helper()
	if !promserver.Available() {
		t.Skip("prometheus is not installed (scripts/deps.sh installs it)")
	}
	opts.Dir = t.TempDir()
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = 500 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := promserver.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("prometheus log:\n%s", s.Log())
		}
	})
	return s
}

// runQuery runs one prometheus.query probe in a Set of its own and returns
// the subscription its judged readings arrive on.
func runQuery(t *testing.T, svc targets.Prometheus, q targets.PromQuery) (*Set, *timeline.Subscription) {
	t.Helper()
	cfg, ok, err := resolve(svc.Name, q.Name, q.ProbeConfig(), Config{Interval: promInterval, Timeout: promTimeout}, nil, Options{Report: DefaultReport})
	if err != nil || !ok {
		t.Fatalf("resolve: %v %v", ok, err)
	}
	return runProbe(t, newPromQuery(svc, q, cfg), cfg)
}

// runProbe runs p, judged by cfg's thresholds, in a Set of its own until
// the test ends, and returns the subscription its readings arrive on.
func runProbe(t *testing.T, p Probe, cfg Config) (*Set, *timeline.Subscription) {
	t.Helper()
	rec := timeline.NewRecorder()
	t.Cleanup(rec.Close)
	sub := rec.Subscribe(4096)
	t.Cleanup(sub.Close)
	s := &Set{rec: rec}
	s.entries = append(s.entries, &entry{probe: p, cfg: cfg, judge: &judge{thresholds: cfg.Thresholds, rec: rec, last: StatusPending}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, sub
}

// nextReading returns the next judged reading of target that satisfies
// ok, failing the test after limit.
func nextReading(t *testing.T, sub *timeline.Subscription, target string, limit time.Duration, ok func(Reading) bool) Reading {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case ev := <-sub.C():
			if ev.Kind != timeline.ProbeWindow {
				continue
			}
			var r Reading
			if err := ev.Decode(&r); err != nil {
				t.Fatal(err)
			}
			if r.Target == target && ok(r) {
				return r
			}
		case <-deadline:
			t.Fatalf("no matching reading of %q within %s", target, limit)
		}
	}
}

func status(s Status) func(Reading) bool { return func(r Reading) bool { return r.Status == s } }

// TestPrometheusQueryBreachesWithinOneScrapeAndOnePoll is #17's
// acceptance: a real Prometheus scrapes a target the test controls, the
// target's metric crosses the threshold, and the probe breaches within one
// scrape plus one probe interval. The bound is checked by cause, not by
// the clock: every poll evaluated after the first scrape that carried the
// new value was written may be ok at most once (that scrape's samples may
// still be on their way into the TSDB); the next one must breach.
func TestPrometheusQueryBreachesWithinOneScrapeAndOnePoll(t *testing.T) {
	target := newScrapeTarget(t, map[string]float64{"a": 1})
	prom := startPrometheus(t, promserver.Options{Targets: []string{target.addr}})
	svc := targets.Prometheus{Name: "prom", URL: prom.URL}
	q := targets.PromQuery{Name: "value", Query: `gameday_test_value{shard="a"}`,
		Thresholds: []string{"value < 5"}, Interval: 500 * time.Millisecond, Timeout: 2 * time.Second}
	_, sub := runQuery(t, svc, q)
	r := nextReading(t, sub, "prom value", 30*time.Second, status(StatusOK))
	if r.Value != 1 || r.Threshold != "value < 5" {
		t.Fatalf("before the change: %+v, want value 1 judged by value < 5", r)
	}

	target.set("a", 10)
	var okAfter []Reading
	var breach Reading
	for breach.Status != StatusBreach {
		r := nextReading(t, sub, "prom value", 30*time.Second, func(Reading) bool { return true })
		switch r.Status {
		case StatusBreach:
			breach = r
		case StatusOK:
			okAfter = append(okAfter, r)
		default:
			t.Fatalf("after the change: %+v", r)
		}
	}
	scraped, ok := target.firstScrapeWith("a", 10)
	if !ok {
		t.Fatal("the probe breached but no scrape carried the new value")
	}
	var late []string
	for _, r := range okAfter {
		if r.Time.After(scraped) {
			late = append(late, fmt.Sprintf("%s value %g", r.Time.Format("15:04:05.000"), r.Value))
		}
	}
	if len(late) > 1 {
		t.Errorf("scrape with the new value written at %s, yet %d polls evaluated after it read ok (%v): more than one probe interval late",
			scraped.Format("15:04:05.000"), len(late), late)
	}
	if breach.Value != 10 || !breach.Time.After(scraped) || !strings.Contains(breach.Detail, `shard="a"`) {
		t.Errorf("breach %+v, want value 10 evaluated after the scrape at %s, labels in the detail", breach, scraped.Format("15:04:05.000"))
	}
}

// TestPrometheusQueryRowPerSeries: a query that returns several series
// shows a row per series (labels as the target) under a summary row, at
// most max_series of them, and says how many were cut.
func TestPrometheusQueryRowPerSeries(t *testing.T) {
	target := newScrapeTarget(t, map[string]float64{"a": 1, "b": 2, "c": 3})
	prom := startPrometheus(t, promserver.Options{Targets: []string{target.addr}})
	svc := targets.Prometheus{Name: "prom", URL: prom.URL}
	q := targets.PromQuery{Name: "shards", Query: `sum by (shard) (gameday_test_value)`,
		Thresholds: []string{"value < 5"}, Interval: 300 * time.Millisecond, MaxSeries: 2}
	set, sub := runQuery(t, svc, q)
	nextReading(t, sub, `prom shards {shard="b"}`, 30*time.Second, status(StatusOK))

	target.set("b", 7)
	r := nextReading(t, sub, `prom shards {shard="b"}`, 30*time.Second, status(StatusBreach))
	if r.Value != 7 {
		t.Errorf("shard b row: %+v, want value 7", r)
	}
	sum := nextReading(t, sub, "prom shards", 30*time.Second, status(StatusBreach))
	if sum.Value != 7 || !strings.Contains(sum.Detail, "3 series, 1 breaching") || !strings.Contains(sum.Detail, "1 not shown (max_series 2)") {
		t.Errorf("summary %+v, want value 7, 3 series, 1 breaching, 1 not shown", sum)
	}
	var rows []string
	for _, r := range set.Latest() {
		rows = append(rows, r.Target)
	}
	want := []string{"prom shards", `prom shards {shard="a"}`, `prom shards {shard="b"}`}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("rows %q, want %q", rows, want)
	}
}

// TestPrometheusQueryErrorsCarryPrometheusMessage: bad PromQL is the
// probe's error status with Prometheus's own parse error, and so is a
// server that does not answer.
func TestPrometheusQueryErrorsCarryPrometheusMessage(t *testing.T) {
	prom := startPrometheus(t, promserver.Options{})
	for name, tc := range map[string]struct {
		url, query, want string
	}{
		"bad promql":  {prom.URL, `sum(rate(gameday_test_value[1m])`, `prometheus: bad_data: invalid parameter "query": 1:33: parse error: unclosed left parenthesis`},
		"range":       {prom.URL, `up[1m]`, "range vector"},
		"no series":   {prom.URL, `gameday_no_such_metric`, "no series"},
		"unreachable": {"http://" + closedAddr(t), `up`, "connection refused"},
	} {
		t.Run(name, func(t *testing.T) {
			_, sub := runQuery(t, targets.Prometheus{Name: "prom", URL: tc.url},
				targets.PromQuery{Name: "q", Query: tc.query, Thresholds: []string{"value < 5"}, Interval: 200 * time.Millisecond})
			r := nextReading(t, sub, "prom q", 30*time.Second, func(Reading) bool { return true })
			if r.Status != StatusError || !strings.Contains(r.Detail, tc.want) {
				t.Fatalf("reading %s %q, want error containing %q", r.Status, r.Detail, tc.want)
			}
		})
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestPrometheusQueryTLSAndAuth runs a real Prometheus serving HTTPS with
// basic auth (its --web.config.file), and a bearer-token proxy in front of
// it as an auth proxy would be: the right CA and credentials measure; a
// wrong password, a missing token or an unknown CA are the probe's error
// with the server's answer.
func TestPrometheusQueryTLSAndAuth(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := writeTestPKI(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	web := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  gameday: %s\n", certFile, keyFile, hash)
	prom := startPrometheus(t, promserver.Options{WebConfig: web, Scheme: "https"})
	t.Setenv("GAMEDAY_TEST_PROM_PW", "s3cret")
	t.Setenv("GAMEDAY_TEST_PROM_BAD_PW", "wrong")
	t.Setenv("GAMEDAY_TEST_PROM_TOKEN", "tok-123")
	ca := &targets.TLS{CAFile: caFile}
	good := &targets.BasicAuth{Username: "gameday", Password: "env:GAMEDAY_TEST_PROM_PW"}

	// The bearer proxy: plain HTTP in front of the HTTPS server, as an
	// oauth2-proxy would be, passing on the basic auth it holds itself.
	upstream, _ := url.Parse(prom.URL)
	rp := httputil.NewSingleHostReverseProxy(upstream)
	upTLS, err := ca.Config()
	if err != nil {
		t.Fatal(err)
	}
	rp.Transport = &http.Transport{TLSClientConfig: upTLS}
	bearer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			http.Error(w, "no or bad bearer token", http.StatusUnauthorized)
			return
		}
		r.SetBasicAuth("gameday", "s3cret")
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(bearer.Close)

	for name, tc := range map[string]struct {
		svc  targets.Prometheus
		want string // "" for ok
	}{
		"ca and password": {targets.Prometheus{URL: prom.URL, TLS: ca, BasicAuth: good}, ""},
		"wrong password":  {targets.Prometheus{URL: prom.URL, TLS: ca, BasicAuth: &targets.BasicAuth{Username: "gameday", Password: "env:GAMEDAY_TEST_PROM_BAD_PW"}}, "client error: 401: Unauthorized"},
		"unknown ca":      {targets.Prometheus{URL: prom.URL, BasicAuth: good}, "certificate signed by unknown authority"},
		"unset secret":    {targets.Prometheus{URL: prom.URL, TLS: ca, BasicAuth: &targets.BasicAuth{Username: "gameday", Password: "env:GAMEDAY_TEST_PROM_UNSET"}}, "environment variable GAMEDAY_TEST_PROM_UNSET is not set"},
		"bearer token":    {targets.Prometheus{URL: bearer.URL, BearerToken: "env:GAMEDAY_TEST_PROM_TOKEN"}, ""},
		"no bearer token": {targets.Prometheus{URL: bearer.URL}, "no or bad bearer token"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.svc.Name = "prom"
			_, sub := runQuery(t, tc.svc, targets.PromQuery{Name: "q", Query: `vector(1)`, Thresholds: []string{"value < 5"}, Interval: 200 * time.Millisecond})
			r := nextReading(t, sub, "prom q", 30*time.Second, func(Reading) bool { return true })
			switch {
			case tc.want == "" && (r.Status != StatusOK || r.Value != 1):
				t.Fatalf("reading %s %q value %g, want ok with value 1", r.Status, r.Detail, r.Value)
			case tc.want != "" && (r.Status != StatusError || !strings.Contains(r.Detail, tc.want)):
				t.Fatalf("reading %s %q, want error containing %q", r.Status, r.Detail, tc.want)
			case strings.Contains(r.Detail, "s3cret") || strings.Contains(r.Detail, "tok-123"):
				t.Fatalf("reading %q shows a secret", r.Detail)
			}
		})
	}
}

// writeTestPKI writes a CA and a server certificate for 127.0.0.1 signed
// by it, and returns the three PEM files.
func writeTestPKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gameday test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caTmpl, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server.key", "EC PRIVATE KEY", keyDER)
}
