package inject_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

// TestLabLedgerOfPreviousVersionReverts: a lab fault armed by the version
// before the control API asked for a token (its ledger line written here
// byte for byte as that version wrote it) is reverted from the ledger
// alone, with no inventory: the entry's lab dir is where the token is.
func TestLabLedgerOfPreviousVersionReverts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab (Redis, Sentinels, Toxiproxy)")
	}
	l := labtest.Start(t, lab.Options{NoKafka: true})
	ctx := context.Background()
	const id, node = "0a1dfa17", "redis-2"
	toxic := "gameday-" + id + "-latency"
	guard := id + "-" + node
	c := l.Client()
	if res, err := c.Do(ctx, false, labapi.Action{Op: labapi.OpToxicAdd, Node: node,
		Toxic: &labapi.Toxic{Name: toxic, Type: "latency", Stream: "downstream", Toxicity: 1, Attributes: map[string]int{"latency": 300}}}); err != nil || labapi.FirstError(res) != nil {
		t.Fatalf("add the toxic: %v %v", err, labapi.FirstError(res))
	}
	if _, err := c.ArmGuard(ctx, guard, time.Hour, labapi.Action{Op: labapi.OpToxicRemove, Node: node, Toxic: &labapi.Toxic{Name: toxic}}); err != nil {
		t.Fatalf("arm the guard: %v", err)
	}
	inv := l.Inventory()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	line := fmt.Sprintf(`{"id":%q,"kind":"latency","hosts":[%q],"params":{"delay":"300ms"},"ttl":3600000000000,`+
		`"session":{"host":"elsewhere","pid":1,"start":1},"state":"armed","created":%q,"armed_at":%q,"deadline":%q,"updated":%q,`+
		`"per_host":{%q:{"target":{"name":%q,"address":"127.0.0.12","tags":["lab"],"roles":["redis","replica"],"lab":{"kind":"redis"}},`+
		`"lab_control":%q,"lab_dir":%q,"lab":true,"guard":%q,`+
		`"lab_revert":[{"op":"toxic-remove","node":%q,"toxic":{"name":%q,"type":"","stream":"","toxicity":0}}],"touched":true,"status":"armed"}}}`+"\n",
		id, node, now, now, now, now, node, node, inv.Lab.Control, inv.Lab.Dir, guard, node, toxic)
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	if err := os.WriteFile(ledger, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := inject.NewManager(nil, nil, ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.RevertAll(ctx); err != nil {
		t.Fatalf("RevertAll from the ledger alone: %v", err)
	}
	if tox := labNode(t, l, node).Toxics; slices.Contains(tox, toxic) {
		t.Errorf("toxic %s still on %s after the revert: %v", toxic, node, tox)
	}
	gs, err := c.Guards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.ID == guard {
			t.Errorf("guard %s still armed after the revert", guard)
		}
	}
	r, err := m.Ledger().Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != inject.StateReverted {
		t.Errorf("ledger state %s (%s), want reverted", r.State, r.Error)
	}
}
