package runbooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
)

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

	cases := map[string]struct {
		inv       *targets.Inventory
		selectors []string
		masters   map[string]string
		want      string
		err       string
	}{
		"name and tag":                      {inv: lab, selectors: []string{"redis-2", "tag:lab"}, want: "redis-2,redis-1,redis-3"},
		"inventory role before any reading": {inv: lab, selectors: []string{"role:master"}, want: "redis-1"},
		"master by listen address":          {inv: lab, selectors: []string{"role:master"}, masters: map[string]string{"lab-redis": "127.0.0.1:7002"}, want: "redis-2"},
		"master by proxy address":           {inv: lab, selectors: []string{"role:master"}, masters: map[string]string{"lab-redis": "127.0.0.1:8002"}, want: "redis-2"},
		"master by proxy on all interfaces": {inv: lab, selectors: []string{"role:master"}, masters: map[string]string{"lab-redis": "127.0.0.1:8003"}, want: "redis-3"},
		"replicas follow the master":        {inv: lab, selectors: []string{"role:replica"}, masters: map[string]string{"lab-redis": "127.0.0.1:8002"}, want: "redis-1,redis-3"},
		"master by IP outside the lab":      {inv: plain, selectors: []string{"role:master"}, masters: map[string]string{"lab-redis": "10.0.0.3:6379"}, want: "redis-3"},
		"unknown master address":            {inv: lab, selectors: []string{"role:master"}, masters: map[string]string{"lab-redis": "127.0.0.1:9999"}, err: `hosts "role:master": service lab-redis: the master Sentinel reports (127.0.0.1:9999) matches 3 Redis hosts`},
		"no agreed master":                  {inv: lab, selectors: []string{"role:master"}, masters: map[string]string{"lab-redis": ""}, err: `hosts "role:master": service lab-redis: the Sentinels agree on no master right now`},
		"typo in a host name":               {inv: lab, selectors: []string{"redis-9"}, err: `hosts "redis-9": no host named "redis-9" in the inventory`},
		"sentinel role is not dynamic":      {inv: lab, selectors: []string{"role:sentinel"}, masters: map[string]string{"lab-redis": "127.0.0.1:8002"}, want: "sentinel-1,sentinel-2,sentinel-3"},
		"duplicates are dropped":            {inv: lab, selectors: []string{"redis-1", "role:master"}, want: "redis-1"},
		"master reading of another service": {inv: lab, selectors: []string{"role:master"}, masters: map[string]string{"lab-redis/mymaster": "127.0.0.1:8003", "other": "1.2.3.4:1"}, want: "redis-3"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := InventoryHosts{Inv: tc.inv}.ResolveHosts(context.Background(), tc.selectors, tc.masters)
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
