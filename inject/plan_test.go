package inject

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
)

// planInventory has SSH hosts, lab nodes and services for plan tests.
func planInventory() *targets.Inventory {
	return &targets.Inventory{
		Hosts: []targets.Host{
			{Name: "db1", Address: "10.0.0.1", Roles: []string{"cassandra"}},
			{Name: "db2", Address: "10.0.0.2", Roles: []string{"cassandra"}},
			{Name: "db3", Address: "10.0.0.3", Roles: []string{"cassandra"}},
			{Name: "redis-1", Address: "127.0.0.1", Lab: &targets.LabNode{Kind: "redis", Proxy: "redis-1", DataDir: "/tmp/lab/redis-1", FaketimeFile: "/tmp/lab/redis-1.faketime"}},
			{Name: "redis-2", Address: "127.0.0.1", Lab: &targets.LabNode{Kind: "redis", Proxy: "redis-2"}},
			{Name: "redis-3", Address: "127.0.0.1", Lab: &targets.LabNode{Kind: "redis", Proxy: "redis-3"}},
			{Name: "sentinel-1", Address: "127.0.0.1", Lab: &targets.LabNode{Kind: "sentinel"}},
			{Name: "sentinel-2", Address: "127.0.0.1", Lab: &targets.LabNode{Kind: "sentinel"}},
			{Name: "sentinel-3", Address: "127.0.0.1", Lab: &targets.LabNode{Kind: "sentinel"}},
			{Name: "kafka-1", Address: "127.0.0.1", Lab: &targets.LabNode{Kind: "kafka"}},
		},
		Services: targets.Services{
			Cassandra: []targets.Cassandra{{Name: "main", Hosts: []string{"db1", "db2", "db3"}}},
			Redis:     []targets.Redis{{Name: "cache", Hosts: []string{"redis-1", "redis-2", "redis-3", "sentinel-1", "sentinel-2", "sentinel-3"}}},
		},
	}
}

// planCases are requests whose every shell plan must be valid sh.
var planCases = map[string]struct {
	kind   string
	params map[string]string
}{
	"latency":           {"latency", map[string]string{"delay": "200ms", "jitter": "20ms"}},
	"latency peers":     {"latency", map[string]string{"delay": "200ms", "peers": "db2,10.9.0.0/16"}},
	"loss":              {"loss", map[string]string{"percent": "12.5"}},
	"partition all":     {"partition", nil},
	"partition in":      {"partition", map[string]string{"peers": "db2", "direction": "in"}},
	"partition v6":      {"partition", map[string]string{"peers": "fd00::1", "direction": "out"}},
	"bandwidth":         {"bandwidth", map[string]string{"rate": "1mbit", "dev": "eth0"}},
	"disk-fill bytes":   {"disk-fill", map[string]string{"path": "/var/lib/it's data", "free": "1GiB"}},
	"disk-fill percent": {"disk-fill", map[string]string{"path": "/data", "free": "5%"}},
	"clock-drift":       {"clock-drift", map[string]string{"offset": "-90s"}},
	"kill unit":         {"kill", map[string]string{"unit": "redis-server.service"}},
	"kill pattern":      {"kill", map[string]string{"pattern": "redis-server .*:6379", "start": "redis-server /etc/redis/redis.conf"}},
	"pause pidfile":     {"pause", map[string]string{"pidfile": "/run/redis/redis-server.pid"}},
	"stop":              {"stop", map[string]string{"unit": "cassandra"}},
	"clock faketime":    {"clock-drift", map[string]string{"offset": "-90s", "faketime_file": "/run/cassandra.faketime"}},
}

func TestShellPlansAreValidShell(t *testing.T) {
	inv := planInventory()
	for name, tc := range planCases {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFault(tc.kind, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := f.ShellPlan(PlanTarget{ID: "0123abcd", Host: inv.Hosts[0], Inv: inv, TTL: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if len(sp.Inject) == 0 || len(sp.Revert) == 0 || len(sp.VerifyGone) == 0 {
				t.Fatalf("plan lacks inject, revert or verify-gone steps: %+v", sp)
			}
			steps := append(append(append(append(append([]Step{}, sp.Detect...), sp.Inject...), sp.Verify...), sp.Revert...), sp.VerifyGone...)
			g := Guard{Fault: "0123abcd", Host: "db1", TTL: time.Minute, Revert: sp.Revert, VerifyGone: sp.VerifyGone}
			start, cancel := sshExecutor{}.Guard(g)
			steps = append(steps, start, cancel, guardOutcomeStep("0123abcd"), Step{Name: "guard body", Script: guardBody(g)})
			for _, sh := range []string{"dash", "bash"} {
				for _, s := range steps {
					out, err := exec.Command(sh, "-n", "-c", s.Script).CombinedOutput()
					if err != nil {
						t.Errorf("step %q is not valid %s: %v: %s\n%s", s.Name, sh, err, out, s.Script)
					}
				}
			}
		})
	}
}

func TestPartitionChainNamesFitIptables(t *testing.T) {
	in, out := partitionChains(newID())
	for _, c := range []string{in, out} {
		if len(c) > 28 {
			t.Errorf("chain %q is %d bytes; iptables allows 28", c, len(c))
		}
	}
}

func TestLabPlans(t *testing.T) {
	inv := planInventory()
	redis1 := inv.Hosts[3]
	tests := map[string]struct {
		kind       string
		params     map[string]string
		wantInject string
		wantRevert string
		wantErr    string
		host       string
	}{
		"latency toxic":       {kind: "latency", params: map[string]string{"delay": "300ms"}, wantInject: "lab toxic-add redis-1 gameday-0123abcd latency downstream", wantRevert: "lab toxic-remove redis-1 gameday-0123abcd"},
		"partition cut":       {kind: "partition", wantInject: "lab cut redis-1", wantRevert: "lab heal redis-1"},
		"one-way":             {kind: "partition", params: map[string]string{"direction": "in"}, wantInject: "lab cut redis-1 direction in", wantRevert: "lab heal redis-1 direction in"},
		"from peers":          {kind: "partition", params: map[string]string{"peers": "redis-2,sentinel-1", "direction": "out"}, wantInject: "lab cut redis-1 direction out peers redis-2,sentinel-1", wantRevert: "lab heal redis-1 direction out peers redis-2,sentinel-1"},
		"peer not in lab":     {kind: "partition", params: map[string]string{"peers": "db1"}, wantErr: `partition: param peers: peer "db1" is not a lab node`},
		"peer address shared": {kind: "partition", params: map[string]string{"peers": "127.0.0.1"}, wantErr: `is the address of several lab nodes (redis-1, redis-2`},
		"peer is itself":      {kind: "partition", params: map[string]string{"peers": "redis-1"}, wantErr: `peer "redis-1" is redis-1 itself`},
		"kafka one-way":       {kind: "partition", host: "kafka-1", params: map[string]string{"direction": "in"}, wantErr: "lab broker kafka-1 can only be cut off from everyone"},
		"kill":                {kind: "kill", wantInject: "lab signal redis-1 SIGKILL", wantRevert: "lab start redis-1"},
		"pause":               {kind: "pause", wantInject: "lab signal redis-1 SIGSTOP", wantRevert: "lab signal redis-1 SIGCONT"},
		"stop":                {kind: "stop", wantInject: "lab stop redis-1", wantRevert: "lab start redis-1"},
		"clock":               {kind: "clock-drift", params: map[string]string{"offset": "-2s"}, wantInject: "lab faketime redis-1 offset -2s", wantRevert: "lab faketime redis-1 offset +0"},
		"kafka kill refused":  {kind: "kill", host: "kafka-1", wantErr: "kfake broker inside the lab process: only partition works on it"},
		"kafka cut":           {kind: "partition", host: "kafka-1", wantInject: "lab cut kafka-1", wantRevert: "lab heal kafka-1"},
		"disk-fill":           {kind: "disk-fill", wantInject: "lab shell redis-1", wantRevert: "lab remove-file redis-1 /tmp/lab/redis-1/.gameday-fill-0123abcd"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFault(tc.kind, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			h := redis1
			if tc.host != "" {
				h, _ = inv.Host(tc.host)
			}
			lp, err := f.LabPlan(PlanTarget{ID: "0123abcd", Host: h, Inv: inv, TTL: time.Minute})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LabPlan error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := lp.Inject[0].String(); !strings.HasPrefix(got, tc.wantInject) {
				t.Errorf("inject = %q, want prefix %q", got, tc.wantInject)
			}
			if got := lp.Inject[0].String(); tc.kind == "partition" && got != tc.wantInject {
				t.Errorf("inject = %q, want %q", got, tc.wantInject)
			}
			if got := lp.Revert[0].String(); got != tc.wantRevert {
				t.Errorf("revert = %q, want %q", got, tc.wantRevert)
			}
		})
	}
}

func TestBlastRadius(t *testing.T) {
	inv := planInventory()
	tests := map[string]struct {
		kind     string
		hosts    []string
		majority bool
		verdict  string
	}{
		"one of three":     {kind: "partition", hosts: []string{"db1"}, verdict: `takes down 1 of 3 cassandra service "main": a minority`},
		"two of three":     {kind: "partition", hosts: []string{"db1", "db2"}, majority: true, verdict: `takes down 2 of 3 cassandra service "main": a majority`},
		"every sentinel":   {kind: "kill", hosts: []string{"sentinel-1", "sentinel-2", "sentinel-3"}, majority: true, verdict: `takes down 3 of 3 sentinel nodes of redis service "cache": a majority`},
		"two sentinels":    {kind: "pause", hosts: []string{"sentinel-1", "sentinel-2"}, majority: true, verdict: "2 of 3 sentinel nodes"},
		"latency is fine":  {kind: "latency", hosts: []string{"db1", "db2", "db3"}, verdict: "latency leaves its hosts in service"},
		"master kill fine": {kind: "kill", hosts: []string{"redis-1"}, verdict: `takes down 1 of 3 redis nodes of redis service "cache": a minority`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFault(tc.kind, nil)
			if err != nil {
				t.Fatal(err)
			}
			verdict, majority := blastRadius(inv, f, tc.hosts)
			if majority != tc.majority || !strings.Contains(verdict, tc.verdict) {
				t.Errorf("blastRadius = %q, %v; want %q, %v", verdict, majority, tc.verdict, tc.majority)
			}
		})
	}
}

// The verdict names the master by the roles it is given: the caller's
// live roles (targets/roles), not the inventory's as written.
func TestBlastRadiusNamesTheMaster(t *testing.T) {
	inv := planInventory()
	inv.Hosts[4].Roles = []string{"master"} // redis-2, as the Sentinels say now
	kill, err := ParseFault("kill", nil)
	if err != nil {
		t.Fatal(err)
	}
	verdict, majority := blastRadius(inv, kill, []string{"redis-2"})
	want := `takes down the master of redis service "cache" (redis-2: expect a failover); 1 of 3 redis nodes of redis service "cache": a minority`
	if verdict != want || majority {
		t.Errorf("killing the master: %q, %v; want %q", verdict, majority, want)
	}
	if verdict, _ := blastRadius(inv, kill, []string{"redis-1"}); strings.Contains(verdict, "master") {
		t.Errorf("killing a replica names a master: %q", verdict)
	}
}

// WithRoles: each Preview takes the roles of that moment — role:master
// is the node the resolver says now and the verdict names it; while the
// Sentinels disagree role:master is refused and a named host's verdict
// says the master is unknown.
func TestPreviewTakesTheRolesOfTheMoment(t *testing.T) {
	inv := planInventory()
	inv.Hosts[3].Roles = []string{"master"} // redis-1, as written
	now := roles.Live{Inv: planInventory()}
	now.Inv.Hosts[4].Roles = []string{"master"} // redis-2, after a failover
	m, err := NewManager(inv, nil, t.TempDir()+"/ledger.jsonl", WithRunner(LocalRunner{}),
		WithRoles(func(context.Context) roles.Live { return now }))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Preview(t.Context(), Request{Kind: "pause", Hosts: []string{"role:master"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `takes down the master of redis service "cache" (redis-2: expect a failover)`
	if got := strings.Join(p.Request.Hosts, ","); got != "redis-2" || !strings.HasPrefix(p.BlastRadius, want) {
		t.Errorf("role:master planned for %q with verdict %q; want redis-2 and %q", got, p.BlastRadius, want)
	}
	if p, _ := m.Preview(t.Context(), Request{Kind: "pause", Hosts: []string{"redis-1"}}); strings.Contains(p.BlastRadius, "master") {
		t.Errorf("the old master, a replica now, is called the master: %q", p.BlastRadius)
	}
	now = roles.Live{Inv: planInventory(), Unknown: map[string]error{"cache": errors.New("the Sentinels of redis/cache disagree on the master")}}
	if _, err := m.Preview(t.Context(), Request{Kind: "pause", Hosts: []string{"role:master"}}); err == nil || !strings.Contains(err.Error(), "role:master cannot be resolved now: the Sentinels of redis/cache disagree") {
		t.Errorf("role:master while the Sentinels disagree: %v", err)
	}
	p, err = m.Preview(t.Context(), Request{Kind: "pause", Hosts: []string{"redis-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `; the master of redis service "cache" is unknown now (the Sentinels of redis/cache disagree on the master)`; !strings.HasSuffix(p.BlastRadius, want) {
		t.Errorf("verdict while the Sentinels disagree: %q, want it to end %q", p.BlastRadius, want)
	}
}

// ArmPlan arms nothing when planning again gives another plan than the one
// shown — here the Sentinels promoted another node in between, so the
// verdict changed — and hands back the new plan to show (#11.2).
func TestArmPlanRefusesAChangedPlan(t *testing.T) {
	now := roles.Live{Inv: planInventory()}
	now.Inv.Hosts[3].Roles = []string{"master"} // redis-1
	m, err := NewManager(planInventory(), nil, t.TempDir()+"/ledger.jsonl", WithRunner(LocalRunner{}),
		WithRoles(func(context.Context) roles.Live { return now }))
	if err != nil {
		t.Fatal(err)
	}
	pv, err := m.Preview(t.Context(), Request{Kind: "pause", Hosts: []string{"redis-1"}})
	if err != nil {
		t.Fatal(err)
	}
	now = roles.Live{Inv: planInventory()}
	now.Inv.Hosts[4].Roles = []string{"master"} // a failover to redis-2
	_, err = m.ArmPlan(t.Context(), pv)
	var changed *PlanChangedError
	if !errors.As(err, &changed) || !errors.Is(err, ErrPlanChanged) || changed.Now.ID != pv.ID ||
		strings.Contains(changed.Now.BlastRadius, "master") || !strings.HasPrefix(changed.Now.BlastRadius, "takes down 1 of 3 redis nodes") {
		t.Fatalf("ArmPlan after a failover: %v (%+v)", err, changed)
	}
	if all, _ := m.List(false); len(all) != 0 {
		t.Fatalf("a refused plan wrote the ledger: %+v", all)
	}
	if _, err := m.ArmPlan(t.Context(), Preview{Request: pv.Request}); err == nil {
		t.Fatal("a preview without an id armed")
	}
}

func TestPreviewExpandsSelectorsAndChangesNothing(t *testing.T) {
	path := t.TempDir() + "/ledger.jsonl"
	m, err := NewManager(planInventory(), nil, path, WithRunner(LocalRunner{}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Preview(t.Context(), Request{Kind: "partition", Hosts: []string{"role:cassandra"}, Params: map[string]string{"direction": "in"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Request.Hosts, ","); got != "db1,db2,db3" {
		t.Errorf("role:cassandra expanded to %q, want db1,db2,db3", got)
	}
	if !p.Majority || p.Request.TTL != DefaultTTL || len(p.Hosts) != 3 || len(p.Hosts[0].Guard) != 1 || len(p.Hosts[0].Inject) == 0 {
		t.Errorf("preview = %+v, want a majority verdict, the default TTL and a guarded plan per host", p)
	}
	if all, _ := m.List(false); len(all) != 0 {
		t.Errorf("Preview wrote the ledger: %+v", all)
	}
	if _, err := m.Preview(t.Context(), Request{Kind: "kill", Hosts: []string{"role:casandra"}}); err == nil || !strings.Contains(err.Error(), "did you mean") {
		t.Errorf("a misspelt selector gave %v, want a did-you-mean", err)
	}
}

// TestLabPeersBySelector: a lab partition's peers may be selectors too;
// they name the lab nodes they select, the faulted node left out.
func TestLabPeersBySelector(t *testing.T) {
	inv := planInventory()
	for i, h := range inv.Hosts {
		if h.Lab != nil && h.Lab.Kind == "redis" {
			inv.Hosts[i].Tags = []string{"data"}
		}
	}
	h, _ := inv.Host("redis-2")
	f, err := ParseFault("partition", map[string]string{"peers": "tag:data", "direction": "in"})
	if err != nil {
		t.Fatal(err)
	}
	lp, err := f.LabPlan(PlanTarget{ID: "c0ffee00", Host: h, Inv: inv})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lp.Inject[0].Peers, ","); got != "redis-1,redis-3" {
		t.Errorf("peers=tag:data on redis-2 cut it from %q, want redis-1,redis-3", got)
	}
}
