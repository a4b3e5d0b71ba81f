package inject

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
)

// TestFaultsOfADeadLabRevert: the lab that armed two faults died with
// kill -9 (its pidfile names a process that no longer runs, its control
// API answers nobody). revert --all must not fail forever: the faults went
// with the lab, except a disk-fill's filler, which this machine removes;
// once no firewall chain of the dead lab is left, both are reverted, and
// the status says why.
func TestFaultsOfADeadLabRevert(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	pid := dead.Process.Pid
	os.WriteFile(filepath.Join(dir, "lab.pid"), []byte(fmt.Sprintf("%d 1\n", pid)), 0o600)
	filler := filepath.Join(dir, "redis-1", ".gameday-fill-f111f111")
	os.MkdirAll(filepath.Dir(filler), 0o700)
	os.WriteFile(filler, []byte("x"), 0o600)

	rules := fmt.Sprintf("*filter\n:INPUT ACCEPT [0:0]\n:GAMEDAY-LAB-%d - [0:0]\nCOMMIT\n", pid)
	saved := iptablesSave
	t.Cleanup(func() { iptablesSave = saved })
	iptablesSave = func(context.Context) (string, error) { return rules, nil }

	m, err := NewManager(nil, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	via := map[string]string{"control": "127.0.0.1:1", "dir": dir}
	cut := LabStep{Op: LabCut, Node: "redis-2"}
	rm := LabStep{Op: LabRemoveFile, Node: "redis-1", Path: filler}
	now := time.Now().UTC()
	for _, r := range []*Record{
		{ID: "dead0001", Kind: "partition", Hosts: []string{"redis-2"}, TTL: time.Hour, State: StateArmed, Created: now, ArmedAt: now, Deadline: now.Add(time.Hour),
			PerHost: map[string]*HostEntry{"redis-2": {Executor: "lab", Via: via, Touched: true, Status: "armed",
				Revert:     labSteps([]LabStep{{Op: LabHeal, Node: "redis-2"}}),
				VerifyGone: labSteps([]LabStep{{Op: LabCheck, Node: "redis-2", Check: &cut, Gone: true}})}}},
		{ID: "dead0002", Kind: "disk-fill", Hosts: []string{"redis-1"}, TTL: time.Hour, State: StateArmed, Created: now, ArmedAt: now, Deadline: now.Add(time.Hour),
			PerHost: map[string]*HostEntry{"redis-1": {Executor: "lab", Via: via, Touched: true, Status: "armed",
				Revert:     labSteps([]LabStep{rm}),
				VerifyGone: labSteps([]LabStep{{Op: LabCheck, Node: "redis-1", Check: &rm, Gone: true}})}}},
	} {
		if err := m.Ledger().Put(r); err != nil {
			t.Fatal(err)
		}
	}
	// The dead lab's chain is still there: not gone yet, and the error
	// says what removes it.
	_, err = m.RevertAll(t.Context())
	if err == nil || !strings.Contains(err.Error(), "gameday lab down --dir") {
		t.Fatalf("RevertAll with the dead lab's chain left: %v; want the chain named and how to sweep it", err)
	}
	if _, err := os.Stat(filler); err == nil {
		t.Errorf("the filler of the dead lab's disk-fill is still there")
	}
	// Swept: both faults are reverted, saying why.
	rules = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"
	out, err := m.RevertAll(t.Context())
	if err != nil {
		t.Fatalf("RevertAll once the chain is swept: %v", err)
	}
	for _, a := range out {
		if a.State != StateGone {
			t.Errorf("fault %s is %s, want gone (nothing was reverted)", a.ID, a.State)
		}
	}
	if all, _ := m.List(true); len(all) != 0 {
		t.Errorf("still active: %+v", all)
	}
	r, _ := m.Ledger().Get("dead0001")
	if st := r.PerHost["redis-2"].Status; !strings.Contains(st, "the lab that armed it is gone") {
		t.Errorf("status %q does not say the lab is gone", st)
	}
}

// TestARevertActsOnlyOnTheLabThatArmedIt: a fault armed by a lab that has
// since died, while another lab now runs from the same dir and answers at
// the same control address with the same host names. Its revert must not
// send that other lab anything, and the fault is gone, not reverted. A
// fault of the lab that runs now is reverted through it as usual.
func TestARevertActsOnlyOnTheLabThatArmedIt(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// The lab running from dir now: this process stands in for it.
	now, err := proc.Self()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "lab.pid"), []byte(fmt.Sprintf("%d %d\n", now.PID, now.Start)), 0o600)
	saved := iptablesSave
	t.Cleanup(func() { iptablesSave = saved })
	iptablesSave = func(context.Context) (string, error) { return "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", nil }

	var mu sync.Mutex
	var calls []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, r.Method+" "+r.URL.Path)
		var req struct{ Actions []json.RawMessage }
		json.NewDecoder(r.Body).Decode(&req)
		res := make([]map[string]any, len(req.Actions))
		for i := range res {
			res[i] = map[string]any{"ok": true}
		}
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"results": res})
	}))
	defer api.Close()
	control := strings.TrimPrefix(api.URL, "http://")

	m, err := NewManager(nil, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cut := LabStep{Op: LabCut, Node: "redis-2"}
	record := func(id, lab string) *Record {
		at := time.Now().UTC()
		return &Record{ID: id, Kind: "partition", Hosts: []string{"redis-2"}, TTL: time.Hour, State: StateArmed, Created: at, ArmedAt: at, Deadline: at.Add(time.Hour),
			PerHost: map[string]*HostEntry{"redis-2": {Executor: "lab", Via: map[string]string{"control": control, "dir": dir, "lab": lab}, Touched: true, Status: "armed",
				Revert:     labSteps([]LabStep{{Op: LabHeal, Node: "redis-2"}}),
				VerifyGone: labSteps([]LabStep{{Op: LabCheck, Node: "redis-2", Check: &cut, Gone: true}})}}}
	}
	old := record("01d1ab01", fmt.Sprintf("%d %d", dead.Process.Pid, now.Start))
	if err := m.Ledger().Put(old); err != nil {
		t.Fatal(err)
	}
	a, err := m.Revert(t.Context(), old.ID)
	if err != nil {
		t.Fatalf("Revert of the dead lab's fault: %v", err)
	}
	if a.State != StateGone || !strings.Contains(a.PerHost["redis-2"], "is another one") {
		t.Errorf("the dead lab's fault: %s, %q; want gone, saying the lab now running is another one", a.State, a.PerHost["redis-2"])
	}
	mu.Lock()
	if len(calls) != 0 {
		t.Errorf("the revert of the dead lab's fault reached the lab running now: %v", calls)
	}
	mu.Unlock()

	cur := record("01d1ab02", fmt.Sprintf("%d %d", now.PID, now.Start))
	if err := m.Ledger().Put(cur); err != nil {
		t.Fatal(err)
	}
	if a, err := m.Revert(t.Context(), cur.ID); err != nil || a.State != StateReverted {
		t.Fatalf("Revert of the running lab's fault = %s, %v; want reverted", a.State, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) == 0 {
		t.Errorf("the revert of the running lab's fault sent it nothing")
	}
}
