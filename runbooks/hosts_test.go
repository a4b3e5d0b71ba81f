package runbooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
)

// sentinelsSay returns what three Sentinels answer: the master each names
// ("" for one that does not answer), all knowing replicas.
func sentinelsSay(masters []string, replicas ...string) func(context.Context, targets.Redis) targets.SentinelView {
	return func(_ context.Context, svc targets.Redis) targets.SentinelView {
		v := targets.SentinelView{Service: svc.Name}
		for i, m := range masters {
			a := targets.SentinelAnswer{Sentinel: "sentinel-" + string(rune('1'+i)), Master: m, Replicas: replicas}
			if m == "" {
				a.Err = context.DeadlineExceeded
			}
			v.Answers = append(v.Answers, a)
		}
		return v
	}
}

func three(m string) []string { return []string{m, m, m} }

func TestResolveHosts(t *testing.T) {
	// The lab's Sentinels report masters by the address clients use (the
	// node's proxy); the lab's control API says which that is.
	ctl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/nodes" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`[{"name":"redis-1","proxy_addr":"127.0.0.1:8001"},{"name":"redis-2","proxy_addr":"127.0.0.1:8002"},{"name":"redis-3","proxy_addr":"127.0.0.1:8003"}]`))
	}))
	defer ctl.Close()
	lab := worldInventory()
	lab.Lab = &targets.Lab{Control: strings.TrimPrefix(ctl.URL, "http://")}
	plain := worldInventory()
	for i := range plain.Hosts {
		plain.Hosts[i].Lab = nil
		plain.Hosts[i].Address = "10.0.0." + string(rune('1'+i))
	}
	proxies := []string{"127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003"}

	cases := map[string]struct {
		inv       *targets.Inventory
		selectors []string
		masters   []string // what each Sentinel names
		replicas  []string
		want      string
		err       string
	}{
		"name and tag":                      {inv: lab, selectors: []string{"redis-2", "tag:lab"}, masters: three("127.0.0.1:8001"), want: "redis-2,redis-1,redis-3"},
		"master by listen address":          {inv: lab, selectors: []string{"role:master"}, masters: three("127.0.0.1:7002"), want: "redis-2"},
		"master by proxy address":           {inv: lab, selectors: []string{"role:master"}, masters: three("127.0.0.1:8002"), want: "redis-2"},
		"replicas are those Sentinel knows": {inv: lab, selectors: []string{"role:replica"}, masters: three("127.0.0.1:8002"), replicas: []string{proxies[0], proxies[2]}, want: "redis-1,redis-3"},
		"the inventory's roles are ignored": {inv: lab, selectors: []string{"role:master"}, masters: three("127.0.0.1:8003"), want: "redis-3"},
		"master by IP outside the lab":      {inv: plain, selectors: []string{"role:master"}, masters: three("10.0.0.3:6379"), want: "redis-3"},
		"one Sentinel silent":               {inv: plain, selectors: []string{"role:master"}, masters: []string{"10.0.0.2:6379", "", "10.0.0.2:6379"}, want: "redis-2"},
		"unknown master address":            {inv: lab, selectors: []string{"role:master"}, masters: three("127.0.0.1:9999"), err: `hosts "role:master": role:master cannot be resolved now: redis/lab-redis: the master the Sentinels name, 127.0.0.1:9999, is no host of the inventory`},
		"Sentinels disagree":                {inv: plain, selectors: []string{"role:master"}, masters: []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.2:6379"}, err: `hosts "role:master": role:master cannot be resolved now: the Sentinels of redis/lab-redis disagree on the master (sentinel-1 names 10.0.0.1:6379; sentinel-2 and sentinel-3 name`},
		"typo in a host name":               {inv: lab, selectors: []string{"redis-9"}, masters: three("127.0.0.1:8001"), err: `hosts "redis-9": no host named "redis-9" in the inventory`},
		"sentinel role is not dynamic":      {inv: lab, selectors: []string{"role:sentinel"}, masters: three("127.0.0.1:8002"), want: "sentinel-1,sentinel-2,sentinel-3"},
		"duplicates are dropped":            {inv: lab, selectors: []string{"redis-1", "role:master"}, masters: three("127.0.0.1:8001"), want: "redis-1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &roles.Resolver{Inv: tc.inv, Ask: sentinelsSay(tc.masters, tc.replicas...)}
			got, err := InventoryHosts{Inv: tc.inv, Roles: r}.ResolveHosts(context.Background(), tc.selectors)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("err = %v, want prefix %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("got %v, want %s", got, tc.want)
			}
		})
	}
}
