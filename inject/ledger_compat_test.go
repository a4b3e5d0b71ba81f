package inject

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestFaultsOfTheLedgerBeforeExecutorsStillRevert writes a ledger as the
// gameday before executors had names wrote it — an SSH host entry (shell
// revert and verify steps, no executor) and a lab node entry (lab, lab_control,
// lab_dir, lab_revert) — and reverts both: the shell steps run, the lab
// gets the recorded revert actions and the guard's cancel.
func TestFaultsOfTheLedgerBeforeExecutorsStillRevert(t *testing.T) {
	pid, pidfile := sleeper(t)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/do":
			var req struct {
				Actions []struct{ Op, Node string } `json:"actions"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			var res []map[string]any
			for _, a := range req.Actions {
				calls = append(calls, a.Op+" "+a.Node)
				res = append(res, map[string]any{"ok": true})
			}
			json.NewEncoder(w).Encode(map[string]any{"results": res})
		case r.Method == http.MethodDelete:
			calls = append(calls, "cancel "+strings.TrimPrefix(r.URL.Path, "/v1/guards/"))
			w.WriteHeader(http.StatusNoContent)
		default:
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	defer api.Close()
	control := strings.TrimPrefix(api.URL, "http://")

	// Two lines of the old format, as an older gameday appended them.
	pf, _ := json.Marshal(pidfile)
	lines := []string{
		`{"id":"01d55400","kind":"pause","hosts":["local"],"ttl":60000000000,"session":{"host":"gone","pid":1,"start":1},"state":"armed",` +
			`"created":"2025-01-01T00:00:00Z","deadline":"2999-01-01T00:00:00Z","updated":"2025-01-01T00:00:00Z","per_host":{"local":{"target":{"name":"local","address":"127.0.0.1"},` +
			`"guard":"01d55400","revert":[{"name":"SIGCONT","script":"kill -CONT $(cat ` + strings.Trim(string(pf), `"`) + `)"}],` +
			`"verify_gone":[{"name":"running","script":"! grep -q '^State:.*T' /proc/$(cat ` + strings.Trim(string(pf), `"`) + `)/status"}],"touched":true,"status":"armed"}}}`,
		`{"id":"01d1ab00","kind":"partition","hosts":["redis-2"],"ttl":60000000000,"session":{"host":"gone","pid":1,"start":1},"state":"armed",` +
			`"created":"2025-01-01T00:00:01Z","deadline":"2999-01-01T00:00:00Z","updated":"2025-01-01T00:00:00Z","per_host":{"redis-2":{"target":{"name":"redis-2","address":"127.0.0.1"},` +
			`"lab_control":"` + control + `","lab_dir":"` + t.TempDir() + `","lab":true,"guard":"01d1ab00-redis-2","lab_revert":[{"op":"heal","node":"redis-2"}],"touched":true,"status":"armed"}}}`,
	}
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// No inventory knows either host: the ledger alone must do.
	m, err := NewManager(nil, nil, path, WithRunner(LocalRunner{}))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	out, err := m.RevertAll(t.Context())
	if err != nil {
		t.Fatalf("RevertAll of old-format faults: %v", err)
	}
	for _, a := range out {
		if a.State != StateReverted {
			t.Errorf("fault %s is %s, want reverted", a.ID, a.State)
		}
	}
	if len(out) != 2 {
		t.Errorf("RevertAll reverted %d faults, want 2", len(out))
	}
	if st := procStateOf(t, pid); st == "T" {
		t.Errorf("the paused process is still stopped: the old SSH entry's revert did not run")
	}
	mu.Lock()
	got := strings.Join(calls, ", ")
	mu.Unlock()
	if got != "heal redis-2, cancel 01d1ab00-redis-2" {
		t.Errorf("the lab saw %q, want the recorded heal, then the guard's cancel", got)
	}
	// The upgraded entries name their executors from now on.
	recs, err := m.Ledger().Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		for h, e := range r.PerHost {
			if e.Executor == "" || e.Lab || len(e.LabRevert) > 0 {
				t.Errorf("fault %s host %s was not upgraded: %+v", r.ID, h, e)
			}
		}
	}
}
