package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestNewCmdProbeFlags(t *testing.T) {
	tests := map[string]struct {
		args []string
		want ProbeOptions
	}{
		"once json": {
			args: []string{"-i", "inv.yaml", "--once", "--json"},
			want: ProbeOptions{Inventory: "inv.yaml", Once: true, JSON: true, Report: time.Second},
		},
		"streaming for a while": {
			args: []string{"--inventory", "inv.yaml", "--for", "30s", "--window", "5s", "--report", "250ms"},
			want: ProbeOptions{Inventory: "inv.yaml", For: 30 * time.Second, Window: 5 * time.Second, Report: 250 * time.Millisecond},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			io, _, _, _ := testStreams()
			var got *ProbeOptions
			cmd := NewCmdProbe(io, func(o *ProbeOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tc.want {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func writeProbeInventory(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProbeBadInventoryExits2(t *testing.T) {
	path := writeProbeInventory(t, "name: x\nhosts: []\nservices:\n  kafka:\n    - name: k\n      brokerz: [127.0.0.1:1]\n")
	io, _, out, errOut := testStreams()
	code := run([]string{"probe", "-i", path, "--once"}, io)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitBadInput, errOut)
	}
	if !strings.Contains(errOut.String(), path+":6:7") || strings.Contains(errOut.String(), "goroutine") {
		t.Errorf("stderr %q, want the problem at %s:6:7 and no stack trace", errOut, path)
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q, want nothing", out)
	}
}

// probeKafkaInventory starts kfake with topic "orders", produces n records and
// writes an inventory whose group "billing" has never consumed them. The
// canary's timeout and latency bound are the test's own, far above anything
// a loaded machine shows (the default p99 < 250ms within 1s is a production
// bound: at load 20 the in-process broker's p99 passes it), so these tests
// judge what the command prints, not how fast the machine is.
func probeKafkaInventory(t *testing.T, n int, lagThreshold string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < n; i++ {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte(strconv.Itoa(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	return writeProbeInventory(t, fmt.Sprintf(`name: probe-test
hosts: []
services:
  kafka:
    - name: k
      hosts: []
      brokers: [%s]
      topics: [orders]
      groups: [billing]
      probes:
        lag:
          thresholds: ["%s"]
        latency:
          timeout: 10s
          thresholds: ["p99 < 10s"]
`, c.ListenAddrs()[0], lagThreshold))
}

func TestProbeOnceJSON(t *testing.T) {
	tests := map[string]struct {
		threshold string
		code      int
		lagStatus string
	}{
		"all ok":       {threshold: "lag <= 1000", code: ExitOK, lagStatus: "ok"},
		"lag breaches": {threshold: "lag <= 2", code: ExitFailed, lagStatus: "breach"},
	}
	allowed := map[string]bool{"time": true, "probe": true, "target": true, "status": true, "value": true,
		"unit": true, "p50": true, "p99": true, "errors": true, "detail": true}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := probeKafkaInventory(t, 5, tc.threshold)
			io, _, out, errOut := testStreams()
			code := run([]string{"probe", "-i", path, "--once", "--json", "--window", "1s"}, io)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tc.code, out, errOut)
			}
			probes := map[string]map[string]any{}
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var line map[string]any
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
				}
				for k := range line {
					if !allowed[k] {
						t.Errorf("unexpected key %q in %s", k, sc.Text())
					}
				}
				probes[line["probe"].(string)] = line
			}
			lag, lat := probes["kafka.lag"], probes["kafka.latency"]
			if lag == nil || lat == nil {
				t.Fatalf("want one line for kafka.lag and one for kafka.latency, got %s", out)
			}
			if lag["status"] != tc.lagStatus || lag["value"] != 5.0 || lag["target"] != "k billing/orders" {
				t.Errorf("kafka.lag line %v, want %s with value 5 on k billing/orders", lag, tc.lagStatus)
			}
			if _, ok := lag["p99"]; ok {
				t.Errorf("kafka.lag line has p99, which does not apply: %v", lag)
			}
			if lat["status"] != "ok" || lat["unit"] != "ms" || lat["p99"] == nil {
				t.Errorf("kafka.latency line %v, want ok with a p99 in ms", lat)
			}
		})
	}
}

func TestProbeTableStreamsForADuration(t *testing.T) {
	path := probeKafkaInventory(t, 1, "lag <= 1000")
	io, _, out, errOut := testStreams()
	code := run([]string{"probe", "-i", path, "--for", "1500ms", "--window", "1s", "--report", "250ms"}, io)
	if code != ExitOK {
		t.Fatalf("exit %d; stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "TIME") || len(lines) < 4 {
		t.Fatalf("want a header and several rows, got:\n%s", out)
	}
	if n := strings.Count(out.String(), "kafka.lag"); n < 2 {
		t.Errorf("kafka.lag printed %d times in 1.5 s at 250 ms, want a row per report:\n%s", n, out)
	}
}

func TestProbeOnceUnreachableExits1(t *testing.T) {
	path := writeProbeInventory(t, `name: dead
hosts: []
services:
  kafka:
    - name: k
      hosts: []
      brokers: [127.0.0.1:1]
      groups: [g]
`)
	io, _, out, errOut := testStreams()
	code := run([]string{"probe", "-i", path, "--once", "--window", "500ms"}, io)
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, ExitFailed, out, errOut)
	}
	for _, probe := range []string{"kafka.lag", "kafka.latency"} {
		if !strings.Contains(out.String(), probe) || !strings.Contains(out.String(), "connection refused") {
			t.Errorf("want an error row for %s saying why, got:\n%s", probe, out)
		}
	}
}
