package inject

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
)

// TestProxyOnlyKinds: slicer and limit-data refuse an SSH host with one
// sentence naming where they run, refuse bad parameters by name, and on
// a lab node are one toxic named for the fault.
func TestProxyOnlyKinds(t *testing.T) {
	ssh := PlanTarget{ID: "f0220000", Host: targets.Host{Name: "db1", Address: "10.0.0.1"}}
	lab := PlanTarget{ID: "f0220000", Host: targets.Host{Name: "redis-1", Lab: &targets.LabNode{Kind: "redis", Proxy: "redis-1"}}}
	for kind, want := range map[string]string{
		"slicer":     `slicer {"average_size":64,"delay":1000,"size_variation":32}`,
		"limit-data": `limit_data {"bytes":1024}`,
	} {
		f, err := ParseFault(kind, nil)
		if err != nil {
			t.Fatalf("%s with defaults: %v", kind, err)
		}
		if _, err := f.ShellPlan(ssh); err == nil || !strings.Contains(err.Error(), "host db1 is reached over SSH, which has no proxy") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s on an SSH host: %v, want one sentence saying it needs a proxy", kind, err)
		}
		lp, err := f.LabPlan(lab)
		if err != nil || len(lp.Inject) != 1 || lp.Inject[0].Toxic == nil || lp.Inject[0].Toxic.Name != "gameday-f0220000" {
			t.Fatalf("%s on a lab node: %+v, %v", kind, lp, err)
		}
		tx := lp.Inject[0].Toxic
		if got := tx.Type + " " + attrsJSON(tx.Attributes); got != want || tx.Toxicity != 1 || tx.Stream != "downstream" {
			t.Errorf("%s: toxic %+v, want %s downstream toxicity 1", kind, tx, want)
		}
	}
	for _, c := range []struct{ kind, key, value, want string }{
		{"slicer", "variation", "64B", "param variation: 64 bytes is out of range (0 to less than size, 64)"},
		{"slicer", "delay", "2s", "param delay: 2s is out of range (0 to 1s)"},
		{"limit-data", "bytes", "0", "param bytes: 0 bytes is out of range (1 byte to 2 GiB)"},
	} {
		if _, err := ParseFault(c.kind, map[string]string{c.key: c.value}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s=%s: %v, want %q", c.kind, c.key, c.value, err, c.want)
		}
	}
}

func attrsJSON(m map[string]int) string {
	b, _ := json.Marshal(m) // sorted keys
	return string(b)
}
