package inject

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// Every registered kind says which commands it needs on an SSH host, so
// that gameday check can tell what works where.
func TestEveryKindSaysWhatToolsItNeeds(t *testing.T) {
	for _, k := range Kinds() {
		if _, ok := kindTools[k.Name]; !ok {
			t.Errorf("kind %s has no entry in kindTools", k.Name)
		}
	}
	for name := range kindTools {
		if _, ok := registry[name]; !ok {
			t.Errorf("kindTools names %q, which is no registered kind", name)
		}
	}
}

func TestMissingTextNamesTheKindsAToolStops(t *testing.T) {
	got := missingText([]string{"tc", "setsid"})
	want := "tc (bandwidth, latency and loss cannot run), setsid (every kind (the TTL guard needs it) cannot run)"
	if got != want {
		t.Errorf("missingText = %q, want %q", got, want)
	}
	if s := checkScript([]string{"tc"}); !strings.HasPrefix(s, "echo '"+checkMarker+"'\n") {
		t.Errorf("the check script does not start with its marker:\n%s", s)
	}
}

// An SSH-only parameter means nothing on a lab node: its lab plan either
// refuses it or is the same with and without it.
func TestSSHOnlyParamsDoNothingOnLabNodes(t *testing.T) {
	inv := planInventory()
	redis1, _ := inv.Host("redis-1")
	values := map[string]map[string]string{
		"peers": {"peers": "redis-2"}, "dev": {"dev": "eth0"}, "unit": {"unit": "redis.service"},
		"pidfile": {"pidfile": "/run/redis.pid", "start": "redis-server"}, "pattern": {"pattern": "redis", "start": "redis-server"},
		"start": {"start": "redis-server"},
	}
	for kind, names := range sshOnly {
		base, err := ParseFault(kind, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := base.LabPlan(PlanTarget{ID: "0123abcd", Host: redis1, Inv: inv, TTL: time.Minute})
		if err != nil {
			t.Fatalf("%s without params on a lab node: %v", kind, err)
		}
		for _, name := range names {
			vals := map[string]string{}
			for k, v := range values[name] {
				if k == name || kind == "kill" { // only kill takes start
					vals[k] = v
				}
			}
			f, err := ParseFault(kind, vals)
			if err != nil {
				t.Fatalf("%s %v: %v", kind, vals, err)
			}
			got, err := f.LabPlan(PlanTarget{ID: "0123abcd", Host: redis1, Inv: inv, TTL: time.Minute})
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("%s: param %s changes the lab plan, so it is not SSH-only", kind, name)
			}
		}
	}
}

func TestParamsForOffersEachHostWhatAppliesToIt(t *testing.T) {
	var kill KindInfo
	for _, k := range Kinds() {
		if k.Name == "kill" {
			kill = k
		}
	}
	lab := targets.Host{Name: "redis-1", Lab: &targets.LabNode{Kind: "redis"}}
	ssh := targets.Host{Name: "db1", Address: "10.0.0.1"}
	names := func(ps []ParamInfo) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return strings.Join(s, ",")
	}
	if got := names(kill.ParamsFor([]targets.Host{lab})); got != "" {
		t.Errorf("kill on a lab node offers %q, want nothing", got)
	}
	if got := names(kill.ParamsFor([]targets.Host{ssh})); got != "unit,pidfile,pattern,start" {
		t.Errorf("kill on an SSH host offers %q", got)
	}
	mixed := kill.ParamsFor([]targets.Host{lab, ssh})
	if names(mixed) != "unit,pidfile,pattern,start" || !strings.HasPrefix(mixed[0].Help, "SSH hosts only: ") {
		t.Errorf("kill on both offers %+v", mixed)
	}
}
