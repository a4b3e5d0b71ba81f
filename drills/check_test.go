package drills

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/targets"
)

// TestCheck: probes the inventory lacks, selectors that match nothing and
// candidates that take down a majority (inject's blast radius, on the
// hosts the selectors give now) are refused before the drill starts; a
// majority passes only with i-know: true on the candidate and --i-know.
func TestCheck(t *testing.T) {
	inv := &targets.Inventory{
		Hosts:    []targets.Host{{Name: "db1", Address: "10.0.0.1"}, {Name: "db2", Address: "10.0.0.2"}, {Name: "db3", Address: "10.0.0.3"}},
		Services: targets.Services{Cassandra: []targets.Cassandra{{Name: "main", Hosts: []string{"db1", "db2", "db3"}}}},
	}
	m, err := inject.NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	path := filepath.Join("testdata", "majority.yaml")
	dr, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Probes: []probes.Info{{Probe: "cassandra.quorum", Target: "main"}}, Hosts: runbooks.InventoryHosts{Inv: inv}, Faults: m}
	want := path + `:4:28: probes[1]: this inventory has no probe "cassandra.qorum"; did you mean "cassandra.quorum"? (its probes: cassandra.quorum)` + "\n" +
		path + `:9:10: scenarios[0].candidates[1]: stop on db1, db2 takes down 2 of 3 cassandra service "main": a majority; a drill may do that only with i-know: true on the candidate and --i-know from the trainer` + "\n" +
		path + `:10:10: scenarios[0].candidates[2]: stop on db2, db3 takes down 2 of 3 cassandra service "main": a majority; the file allows it (i-know: true), so the trainer must pass --i-know too` + "\n" +
		path + `:11:30: scenarios[0].candidates[3].hosts[0]: hosts "db9": no host named "db9" in the inventory; did you mean "db1"?`
	if err := dr.Check(context.Background(), env); err == nil || err.Error() != want {
		t.Errorf("Check\n got %v\nwant %s", err, want)
	}
	env.IKnow = true
	want = path + `:4:28: probes[1]: this inventory has no probe "cassandra.qorum"; did you mean "cassandra.quorum"? (its probes: cassandra.quorum)` + "\n" +
		path + `:9:10: scenarios[0].candidates[1]: stop on db1, db2 takes down 2 of 3 cassandra service "main": a majority; a drill may do that only with i-know: true on the candidate and --i-know from the trainer` + "\n" +
		path + `:11:30: scenarios[0].candidates[3].hosts[0]: hosts "db9": no host named "db9" in the inventory; did you mean "db1"?`
	if err := dr.Check(context.Background(), env); err == nil || err.Error() != want {
		t.Errorf("Check with --i-know\n got %v\nwant %s", err, want)
	}
}
