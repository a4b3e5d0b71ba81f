package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/promserver"
)

// TestMetricsListenOnEveryLiveCommand: the TUI, lab, lab up, serve and
// run take --metrics-listen.
func TestMetricsListenOnEveryLiveCommand(t *testing.T) {
	io, _, _, _ := testStreams()
	root := NewCmdRoot(io)
	for _, path := range [][]string{nil, {"lab"}, {"lab", "up"}, {"serve"}, {"run"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if cmd.Flags().Lookup("metrics-listen") == nil {
			t.Errorf("gameday %s has no --metrics-listen", strings.Join(path, " "))
		}
	}
}

// TestMetricsListenBadInput: a malformed address or a port in use is one
// sentence and exit 2, before anything is recorded or started.
func TestMetricsListenBadInput(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	inv := filepath.Join(runbookData, "tiny-inventory.yaml")
	keys := filepath.Join(dir, "war-room.keys")
	_, line := writeClientKey(t, dir, "alice", "facilitator")
	if err := os.WriteFile(keys, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := map[string][]string{
		"tui":    {"-i", inv},
		"lab up": {"lab", "up", "--dir", filepath.Join(dir, "lab")},
		"serve":  {"serve", "-i", inv, "--keys", keys, "--listen", "127.0.0.1:0"},
		"run":    {"run", filepath.Join(runbookData, "lab", "impossible.yaml"), "-i", inv},
	}
	addrs := map[string]struct{ addr, want string }{
		"malformed":   {"localhost", `gameday: --metrics-listen: "localhost" is not an address to listen on: give HOST:PORT or :PORT, such as 127.0.0.1:9464`},
		"bad port":    {":99999", `gameday: --metrics-listen: ":99999" is not an address to listen on: give HOST:PORT or :PORT, such as 127.0.0.1:9464`},
		"port in use": {taken.Addr().String(), "gameday: --metrics-listen: cannot listen on " + taken.Addr().String() + ": address already in use (another gameday, or another program, has it)"},
	}
	for cname, args := range commands {
		for aname, a := range addrs {
			t.Run(cname+"/"+aname, func(t *testing.T) {
				state := t.TempDir()
				t.Setenv("XDG_STATE_HOME", state)
				io, _, out, errOut := testStreams()
				code := run(append(append([]string(nil), args...), "--metrics-listen", a.addr), io)
				if got := strings.TrimSpace(errOut.String()); code != ExitBadInput || got != a.want {
					t.Fatalf("exit %d, stderr\n got %s\nwant %s\nstdout: %s", code, got, a.want, out)
				}
				if entries, _ := os.ReadDir(filepath.Join(state, "gameday", "sessions")); len(entries) != 0 {
					t.Errorf("bad input left a session journal: %v", entries)
				}
				if _, err := os.Stat(filepath.Join(dir, "lab", "lab.pid")); err == nil {
					t.Error("bad input started the lab")
				}
			})
		}
	}
}

// TestLabUpMetrics: `gameday lab up --metrics-listen` exports the lab's
// probes, and a fault another gameday process arms on the lab (the CLI's
// inject, sharing the ledger) shows as armed, then at 0 after its revert.
func TestLabUpMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab as its own process (-short skips it)")
	}
	bin := buildGameday(t, t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // the lab's session and the CLI share its ledger
	dir := t.TempDir()
	_, _, said := labUpSaying(t, bin, dir, "--metrics-listen", "127.0.0.1:0")
	url := regexp.MustCompile(`(?m)^metrics: (\S+)$`).FindStringSubmatch(said)
	if url == nil {
		t.Fatalf("lab up printed no metrics address:\n%s", said)
	}
	waitMetrics(t, url[1], "the lab's probes", `gameday_session_info{inventory="gameday lab",runbook="",source="lab"} 1`, `gameday_probe_status{probe="sentinel.master",status="ok",target="lab-redis"} 1`)

	inv := filepath.Join(dir, "inventory.yaml")
	out, err := exec.Command(bin, "inject", "latency", "-i", inv, "--host", "redis-2", "--param", "delay=50ms", "--ttl", "2m").CombinedOutput()
	if err != nil {
		t.Fatalf("inject: %v\n%s", err, out)
	}
	id := regexp.MustCompile(`\b[0-9a-f]{8}\b`).FindString(string(out))
	if id == "" {
		t.Fatalf("no fault ID in:\n%s", out)
	}
	armed := `gameday_fault_armed{fault_id="` + id + `",hosts="redis-2",kind="latency"}`
	waitMetrics(t, url[1], "the CLI's fault armed", armed+" 1")
	// The lab's own Prometheus scrapes this /metrics (job gameday).
	if prom := regexp.MustCompile(`(?m)^prometheus: (http\S+) `).FindStringSubmatch(said); prom != nil {
		waitPromQL(t, prom[1], `gameday_fault_armed{job="gameday",fault_id="`+id+`"} == 1`)
	} else if promserver.Available() {
		t.Fatalf("lab up printed no Prometheus address:\n%s", said)
	}
	if out, err := exec.Command(bin, "revert", id).CombinedOutput(); err != nil {
		t.Fatalf("revert: %v\n%s", err, out)
	}
	waitMetrics(t, url[1], "the CLI's fault at 0", armed+" 0")
}

// waitPromQL asks the Prometheus at base for expr until it returns a
// series, failing after 30 s (Prometheus picks up a new target about 5 s
// after it starts, then scrapes every second).
func waitPromQL(t *testing.T, base, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var body string
	for {
		if resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr)); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			var r struct {
				Data struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			if json.Unmarshal(b, &r) == nil && len(r.Data.Result) > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus at %s never answered %s; last: %s", base, expr, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitMetrics GETs url until its body has every line of want, failing
// after 30 s (the ledger is listed every 5 s).
func waitMetrics(t *testing.T, url, what string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var body string
	for {
		if resp, err := http.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			missing := false
			for _, w := range want {
				missing = missing || !strings.Contains(body, "\n"+w+"\n")
			}
			if !missing {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s (%q); last:\n%s", what, want, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
