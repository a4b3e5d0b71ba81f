package targets

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestEditThresholdsGolden rewrites the thresholds of an inventory that
// uses every YAML convenience — comments, block and flow lists, quoting,
// an alias shared by other clusters, a merge key, a probe running on its
// defaults — and compares the file with testdata/baseline/inventory.golden.yaml:
// only the thresholds change, everything else stays byte for byte.
func TestEditThresholdsGolden(t *testing.T) {
	in := "testdata/baseline/inventory.yaml"
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	changes := []ThresholdChange{
		{ThresholdsAt{"redis", "cache", "latency"}, []string{"p99 < 38ms", "success >= 99%"}},
		{ThresholdsAt{"redis", "cache", "master"}, []string{"master: stable"}},
		{ThresholdsAt{"kafka", "orders", "lag"}, []string{"lag <= 150"}},
		{ThresholdsAt{"kafka", "orders", "latency"}, []string{"p99 < 90ms", "success >= 99%"}},
		{ThresholdsAt{"cassandra", "ledger", "quorum"}, []string{"success >= 99.5%"}},
		{ThresholdsAt{"prometheus", "prom", "errors"}, []string{"value < 1.2"}},
	}
	out, err := EditThresholds(in, data, changes)
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/baseline/inventory.golden.yaml"
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(want) {
		t.Fatalf("rewritten inventory differs from %s (-update refreshes it):\n%s", golden, out)
	}
	// The anchor the alias named is untouched, for the other clusters.
	if !strings.Contains(string(out), "x-lag: &lag\n  interval: 2s\n  thresholds: [lag <= 1000]\n") {
		t.Error("the shared &lag anchor changed")
	}
	inv, err := Parse(in, out)
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Services.Kafka[0].Probes["lag"]; got.Interval.String() != "2s" || strings.Join(got.Thresholds, ";") != "lag <= 150" {
		t.Errorf("kafka lag after the rewrite = %+v, want the alias's interval and the new threshold", got)
	}
	if got := inv.Services.Cassandra[0].Probes["quorum"]; got.Rate != 20 || got.Window.String() != "10s" {
		t.Errorf("cassandra quorum after the rewrite = %+v, want the merged window and its own rate", got)
	}
}

// TestEditThresholdsRefusesWhatWouldDropSettings: a probe whose settings
// come through an alias of the whole probes mapping cannot get thresholds
// of its own without dropping the others: one sentence at the alias's line.
func TestEditThresholdsRefusesWhatWouldDropSettings(t *testing.T) {
	data := []byte(`x-probes: &p
  lag: {interval: 2s}
services:
  kafka:
    - name: k
      brokers: [k:9092]
      probes: *p
`)
	_, err := EditThresholds("inv.yaml", data, []ThresholdChange{{ThresholdsAt{"kafka", "k", "lag"}, []string{"lag <= 10"}}})
	var ps Problems
	want := `inv.yaml:7:15: services.kafka[0].probes: gameday cannot write the thresholds of kafka/k lag here: an alias (*p); writing lag.thresholds through it would drop the other settings it brings, so write the thresholds by hand`
	if !errors.As(err, &ps) || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestCheckRewritable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inv.yaml")
	if err := os.WriteFile(path, []byte("hosts: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckRewritable(path); err != nil {
		t.Fatalf("a writable file: %v", err)
	}
	if err := CheckRewritable(filepath.Join(dir, "none.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("a missing file: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("CheckRewritable left files behind: %v", entries)
	}
}
