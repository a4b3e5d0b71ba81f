package inject

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// ledgerCheckingRunner runs scripts locally, but first checks that the
// ledger already holds the fault: no command may run before its entry.
type ledgerCheckingRunner struct {
	t      *testing.T
	ledger string
	mu     sync.Mutex
	calls  int
}

func (r *ledgerCheckingRunner) Run(ctx context.Context, h targets.Host, script string) (Result, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	b, err := os.ReadFile(r.ledger)
	if err != nil || !strings.Contains(string(b), `"kind":"pause"`) {
		r.t.Errorf("a command ran on %s before the ledger held the fault (ledger: %q, %v)", h.Name, b, err)
	}
	return LocalRunner{}.Run(ctx, h, script)
}

func (r *ledgerCheckingRunner) Close() error { return nil }

// sleeper starts a process to pause and returns its PID and pidfile.
func sleeper(t *testing.T) (int, string) {
	t.Helper()
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "sleeper.pid")
	cmd := startProcess(t, "sleep", "300")
	if err := os.WriteFile(pidfile, []byte(itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, pidfile
}

func localInventory() *targets.Inventory {
	return &targets.Inventory{Hosts: []targets.Host{{Name: "local", Address: "127.0.0.1"}}}
}

func TestLedgerEntryIsWrittenBeforeTheFirstCommand(t *testing.T) {
	pid, pidfile := sleeper(t)
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	run := &ledgerCheckingRunner{t: t, ledger: path}
	m, err := NewManager(localInventory(), nil, path, WithRunner(run))
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Arm(context.Background(), Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	if run.calls == 0 {
		t.Fatal("the runner was never called; the test proves nothing")
	}
	if st := procStateOf(t, pid); st != "T" {
		t.Errorf("paused process state = %q, want T", st)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode = %v, want 0600", info.Mode().Perm())
	}
	// Reverting twice is fine and the second changes nothing.
	for i := range 2 {
		got, err := m.Revert(context.Background(), a.ID)
		if err != nil {
			t.Fatalf("Revert #%d: %v", i+1, err)
		}
		if got.State != StateReverted {
			t.Errorf("Revert #%d state = %s, want reverted", i+1, got.State)
		}
	}
	if st := procStateOf(t, pid); st == "T" {
		t.Errorf("process still stopped after revert")
	}
	if left := guardFiles(t, a.ID); len(left) > 0 {
		t.Errorf("revert left guard state files: %v", left)
	}
	list, err := m.List(true)
	if err != nil || len(list) != 0 {
		t.Errorf("List(active) after revert = %v, %v; want none", list, err)
	}
}

func TestOrphansListsFaultsOfDeadSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	l, err := OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	// A process that has exited: its PID is free (or reused, with another
	// start time).
	dead := startProcess(t, "true")
	dead.Wait()
	now := time.Now().UTC()
	for _, r := range []*Record{
		{ID: "deadbeef", Kind: "partition", Hosts: []string{"local"}, Session: Session{Host: host, PID: dead.Process.Pid, Start: 1}, State: StateArmed, Created: now, Deadline: now.Add(time.Hour),
			PerHost: map[string]*HostEntry{"local": {Touched: true, Status: "armed"}}},
		{ID: "a11ve000", Kind: "latency", Hosts: []string{"local"}, Session: CurrentSession(), State: StateArmed, Created: now.Add(time.Second), Deadline: now.Add(time.Hour),
			PerHost: map[string]*HostEntry{"local": {Touched: true, Status: "armed"}}},
		{ID: "0ldd0ne0", Kind: "kill", Hosts: []string{"local"}, Session: Session{Host: host, PID: dead.Process.Pid, Start: 1}, State: StateReverted, Created: now, Deadline: now.Add(time.Hour),
			PerHost: map[string]*HostEntry{"local": {Status: "reverted"}}},
	} {
		if err := l.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	m, err := NewManager(localInventory(), nil, path, WithRunner(LocalRunner{}))
	if err != nil {
		t.Fatal(err)
	}
	orphans, err := m.Orphans()
	if err != nil {
		t.Fatal(err)
	}
	if len(orphans) != 1 || orphans[0].ID != "deadbeef" || orphans[0].Liveness != SessionDead {
		t.Errorf("Orphans = %+v, want only deadbeef (dead session)", orphans)
	}
}

func TestLedgerConcurrentWritersLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := OpenLedger(path)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 25 {
				r := &Record{ID: itoa(w) + "-" + itoa(i), Kind: "loss", Created: time.Now(), PerHost: map[string]*HostEntry{"h": {Status: strings.Repeat("x", 5000)}}}
				if err := l.Put(r); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	l, _ := OpenLedger(path)
	all, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 100 {
		t.Errorf("ledger holds %d faults, want 100", len(all))
	}
}

func TestLedgerSkipsATornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	l, _ := OpenLedger(path)
	if err := l.Put(&Record{ID: "aaaa0001", Kind: "loss"}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Record{ID: "aaaa0002", Kind: "loss"})
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(b[:len(b)/2]) // a crash mid-write
	f.Close()
	all, err := l.Load()
	if err != nil || len(all) != 1 {
		t.Fatalf("Load = %d records, %v; want the 1 whole record", len(all), err)
	}
	// A malformed line in the middle is an error naming the line.
	f, _ = os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\n")
	f.Write(append(b, '\n'))
	f.Close()
	if _, err := l.Load(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Load with a bad middle line: %v, want an error naming line 2", err)
	}
}

func TestLedgerCompactsKeepingEveryActiveFault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	l, _ := OpenLedger(path)
	old := time.Now().Add(-60 * 24 * time.Hour)
	l.Put(&Record{ID: "0ld00000", Kind: "loss", State: StateReverted, Updated: old})
	l.Put(&Record{ID: "ac71ve00", Kind: "loss", State: StateArmed, Updated: old})
	pad := strings.Repeat("x", 64<<10)
	for i := 0; i < 80; i++ { // 80 × 64 KiB passes the compaction size
		l.Put(&Record{ID: "busy0000", Kind: "loss", State: StateArmed, Updated: time.Now(), Error: pad + itoa(i)})
	}
	st, _ := os.Stat(path)
	if st.Size() > compactAbove {
		t.Errorf("ledger is %d bytes after passing %d: not compacted", st.Size(), compactAbove)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("compacted ledger mode %v, want 0600", st.Mode().Perm())
	}
	all, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range all {
		ids = append(ids, r.ID)
		if r.ID == "busy0000" && !strings.HasSuffix(r.Error, "79") {
			t.Errorf("busy0000 is not its newest version after compaction")
		}
	}
	if strings.Join(ids, ",") != "ac71ve00,busy0000" && strings.Join(ids, ",") != "busy0000,ac71ve00" {
		t.Errorf("faults after compaction = %v, want the active ac71ve00 and busy0000 (the old finished one dropped)", ids)
	}
}
