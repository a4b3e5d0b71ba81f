package runbooks

import (
	"path/filepath"
	"testing"
)

func TestCheck(t *testing.T) {
	probes := []ProbeKey{{"redis.latency", "lab-redis"}, {"sentinel.master", "lab-redis"}}
	cases := map[string]struct {
		file, want string
	}{
		"runs as is":          {file: "failover.yaml"},
		"unknown probe":       {file: "check-probe.yaml", want: `testdata/run/check-probe.yaml:4:5: hypothesis[1]: this inventory has no probe "kafka.lag" (its probes: redis.latency, sentinel.master)`},
		"unknown target":      {file: "check-target.yaml", want: `testdata/run/check-target.yaml:6:7: steps[0].expect: probe redis.latency has no target "lab-redis2"; did you mean "lab-redis"? (its targets: lab-redis)`},
		"host not in the inv": {file: "check-host.yaml", want: `testdata/run/check-host.yaml:5:37: steps[0].inject.hosts[0]: no host named "redis-4" in the inventory; did you mean "redis-1"?`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rb, err := Load(filepath.Join("testdata", "run", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			err = rb.Check(worldInventory(), probes)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("Check error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}
