package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/promserver"
)

// TestCheckRejectsBadQueryAtItsLine is #17's acceptance for check: a real
// Prometheus evaluates every query of the inventory; the one it rejects as
// bad PromQL is reported at its own line and column with Prometheus's
// message, exit status 2, and the good one passes on the server's row.
func TestCheckRejectsBadQueryAtItsLine(t *testing.T) {
	if !promserver.Available() {
		t.Skip("prometheus is not installed (scripts/deps.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	prom, err := promserver.Start(ctx, promserver.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prom.Stop() })
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(api.Close)
	path := filepath.Join(t.TempDir(), "inv.yaml")
	inv := fmt.Sprintf(`services:
  prometheus:
    - name: prom
      url: %s
      queries:
        - name: up
          query: vector(1)
        - name: broken
          query: sum(rate(http_requests_total[1m])
          thresholds: ["value < 5"]
  http:
    - name: api
      url: %s/healthz
`, prom.URL, api.URL)
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, out, errOut := testStreams()
	code := run([]string{"check", "-i", path, "--timeout", "5s"}, io)
	want := path + `:9:18: services.prometheus[0].queries[1].query: Prometheus rejects the query: invalid parameter "query": 1:34: parse error: unclosed left parenthesis`
	if code != ExitBadInput || strings.TrimSpace(errOut.String()) != want {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 and\n%s\nstdout:\n%s", code, errOut, want, out)
	}
	for _, row := range []string{"prometheus/prom", "http/api"} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("no %s row in\n%s", row, out)
		}
	}
}

// TestCheckProbedServices: an unreachable Prometheus and an HTTP endpoint
// answering the wrong status fail their rows (exit 1, not 2: the file is
// right, the services are not), a local command's program is found.
func TestCheckProbedServices(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) }))
	t.Cleanup(api.Close)
	path := filepath.Join(t.TempDir(), "inv.yaml")
	inv := fmt.Sprintf(`services:
  prometheus:
    - name: prom
      url: http://127.0.0.1:%d
      queries: [{name: up, query: vector(1)}]
  http:
    - name: api
      url: %s/healthz
  command:
    - name: sh
      command: [sh, -c, "exit 0"]
`, closedPort(t), api.URL)
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, out, errOut := testStreams()
	code := run([]string{"check", "-i", path, "--timeout", "2s"}, io)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"connection refused", "status 503 Service Unavailable", "runs /"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}
