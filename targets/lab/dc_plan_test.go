package lab_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
)

// TestInterDatacenterDelayPlanned: the seed's 500 ms between datacenters
// is tc netem on the dc1 hosts towards the dc2 hosts (peers=tag:dc2). The
// plan is checked on four namespace hosts tagged like the two-datacenter
// lab's nodes (no JVM needed); this kernel has no sch_netem, so arming it
// is refused in one sentence naming it, and no host changed.
func TestInterDatacenterDelayPlanned(t *testing.T) {
	bed := nshost.New(t, 4, nshost.Options{})
	inv := bed.Inventory()
	for i := range inv.Hosts {
		inv.Hosts[i].Tags = append(inv.Hosts[i].Tags, map[bool]string{true: "dc1", false: "dc2"}[i < 2])
	}
	before := map[string]string{}
	for _, h := range bed.Hosts {
		before[h.Name] = bed.Snapshot(h)
	}
	m, err := inject.NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	req := inject.Request{Kind: "latency", Hosts: []string{"tag:dc1"}, Params: map[string]string{"delay": "500ms", "peers": "tag:dc2"}, TTL: 5 * time.Minute}
	pv, err := m.Preview(t.Context(), req)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	if len(pv.Hosts) != 2 {
		t.Fatalf("the plan covers %d hosts, want dc1's two", len(pv.Hosts))
	}
	for _, hp := range pv.Hosts {
		plan := strings.Join(append(hp.Detect, hp.Inject...), "\n")
		for _, want := range []string{"netem delay 500ms", "dst " + bed.Hosts[2].Addr + "/32", "dst " + bed.Hosts[3].Addr + "/32"} {
			if !strings.Contains(plan, want) {
				t.Errorf("the plan for %s lacks %q:\n%s", hp.Host, want, plan)
			}
		}
		for _, dc1 := range bed.Hosts[:2] {
			if strings.Contains(plan, "dst "+dc1.Addr+"/") {
				t.Errorf("the plan for %s delays traffic to dc1 host %s:\n%s", hp.Host, dc1.Name, plan)
			}
		}
	}
	_, err = m.ArmPlan(t.Context(), pv)
	if err == nil || !strings.Contains(err.Error(), "sch_netem") {
		t.Fatalf("arming netem on a kernel without it: %v; want the sentence naming sch_netem", err)
	}
	t.Logf("refused: %v", err)
	for _, h := range bed.Hosts {
		if after := bed.Snapshot(h); after != before[h.Name] {
			t.Errorf("%s changed by a refused arm:\n--- before\n%s\n--- after\n%s", h.Name, before[h.Name], after)
		}
	}
}
