package inject

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLedgerPut measures one durable ledger write (flock, append,
// fsync): the cost every state change of a fault pays.
func BenchmarkLedgerPut(b *testing.B) {
	l, err := OpenLedger(filepath.Join(b.TempDir(), "ledger.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	r := &Record{ID: "bench000", Kind: "partition", Hosts: []string{"db1", "db2"}, State: StateArmed, Created: time.Now(),
		PerHost: map[string]*HostEntry{"db1": {Touched: true, Revert: []Step{{Name: "x", Script: "true"}}}}}
	b.ResetTimer()
	for b.Loop() {
		if err := l.Put(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArmRevertPauseLocal arms and reverts a pause of a local process
// through the whole Manager path (ledger writes, guard start, inject,
// verify, revert, verify gone, guard cancel) with the local runner: the
// overhead gameday adds on top of the transport.
func BenchmarkArmRevertPauseLocal(b *testing.B) {
	cmd := startProcess(b, "sleep", "600")
	pidfile := filepath.Join(b.TempDir(), "p.pid")
	if err := os.WriteFile(pidfile, []byte(itoa(cmd.Process.Pid)), 0o600); err != nil {
		b.Fatal(err)
	}
	m, err := NewManager(localInventory(), nil, filepath.Join(b.TempDir(), "ledger.jsonl"), WithRunner(LocalRunner{}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: time.Minute}
	b.ResetTimer()
	for b.Loop() {
		a, err := m.Arm(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Revert(ctx, a.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToxiproxyArmRevert arms and reverts a latency toxic on a proxy
// of the real toxiproxy-server (v2.12.0, its own process) through the
// whole Manager path — ledger writes, the local guard's start and cancel,
// the client package's calls of inject, verify, revert and verify gone — and reports
// arm and revert apart (ms).
func BenchmarkToxiproxyArmRevert(b *testing.B) {
	bed := newToxiBed(b)
	m, err := NewManager(bed.Inventory(), nil, filepath.Join(b.TempDir(), "ledger.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	req := Request{Kind: "latency", Hosts: []string{"cache-1"}, Params: map[string]string{"delay": "100ms"}, TTL: time.Minute}
	var arm, revert time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		a, err := m.Arm(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := m.Revert(ctx, a.ID); err != nil {
			b.Fatal(err)
		}
		arm, revert = arm+mid.Sub(start), revert+time.Since(mid)
	}
	b.ReportMetric(float64(arm)/1e6/float64(b.N), "arm-ms/op")
	b.ReportMetric(float64(revert)/1e6/float64(b.N), "revert-ms/op")
}
