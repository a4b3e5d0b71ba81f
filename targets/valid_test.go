package targets

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

func TestLoadValid(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			inv, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if inv.Path != f {
				t.Errorf("Path = %q, want %q", inv.Path, f)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a not-exist error", err)
	}
}

// TestDecodedValues pins what the YAML niceties decode to.
func TestDecodedValues(t *testing.T) {
	inv, err := Load("testdata/valid/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k := inv.Services.Kafka[0]
	lat := k.Probes["latency"]
	if lat.Rate != 10 || lat.Timeout != 500*time.Millisecond || lat.Window != 10*time.Second {
		t.Errorf("kafka latency probe = %+v, want rate 10 (600/m), timeout 500ms, window 10s", lat)
	}
	if k.Version != "3.6.0" || k.Probes["lag"].Interval != 2*time.Second {
		t.Errorf("kafka = %+v", k)
	}
	c := inv.Services.Cassandra[0]
	if !c.CreateTable || c.Probes["quorum"].Rate != 20 || c.Password != "file:/etc/gameday/cassandra.pass" {
		t.Errorf("cassandra = %+v", c)
	}
	if !inv.Services.Redis[0].Probes["latency"].Disabled {
		t.Errorf("redis latency probe not disabled")
	}
	r1, _ := inv.Host("redis-1")
	if r1.Address != "fd00::1" || r1.SSH.Port != 22 || r1.SSH.User != "ops" {
		t.Errorf("redis-1 = %+v", r1)
	}

	inv, err = Load("testdata/valid/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := inv.Host("a")
	b, _ := inv.Host("b")
	if a.SSH.Port != 2200 || a.SSH.User != "ops" || !reflect.DeepEqual(a.Tags, []string{"shared"}) {
		t.Errorf("a = %+v, want the merged ssh and tags", a)
	}
	if b.SSH.Port != 2200 || !reflect.DeepEqual(b.Tags, []string{"own"}) {
		t.Errorf("b = %+v, want merged ssh and its own tags", b)
	}
}

// TestExampleInventoryLoads keeps the documented example honest.
func TestExampleInventoryLoads(t *testing.T) {
	inv, err := Load("../examples/inventory.yaml")
	if err != nil {
		t.Fatalf("examples/inventory.yaml does not load:\n%v", err)
	}
	k3, _ := inv.Host("kafka-3")
	if !reflect.DeepEqual(k3.Tags, []string{"kafka", "az-b"}) || !reflect.DeepEqual(k3.Roles, []string{"broker"}) {
		t.Errorf("kafka-3 = %+v, want its own tags and the merged roles", k3)
	}
	if got := inv.Services.Kafka[0].Probes["latency"].Rate; got != 10 {
		t.Errorf("kafka latency rate = %v, want 10", got)
	}
	if n := len(inv.ServicesOf("redis-1")); n != 1 {
		t.Errorf("ServicesOf(redis-1) has %d services, want 1", n)
	}
}

// TestDecodedProbedServices pins how prometheus, http and command
// services decode.
func TestDecodedProbedServices(t *testing.T) {
	inv, err := Load("testdata/valid/probed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Services.Prometheus[0]
	if p.URL != "https://prom.example:9090/prometheus" || p.BasicAuth.Password != "env:PROM_PASSWORD" || p.TLS.ServerName != "prom.internal" {
		t.Errorf("prometheus = %+v", p)
	}
	q := p.Queries[1]
	if q.Query != "max by (group) (kafka_consumergroup_lag)\n" || q.MaxSeries != 20 || p.Queries[0].Interval != 10*time.Second {
		t.Errorf("queries = %+v", p.Queries)
	}
	h := inv.Services.HTTP[0]
	if h.Method != "HEAD" || h.Status != 204 || h.Headers["Authorization"] != "env:API_TOKEN" || !h.TLS.InsecureSkipVerify || h.Probes["latency"].Rate != 20 {
		t.Errorf("http = %+v", h)
	}
	c := inv.Services.Command[0]
	if c.Host != "redis-1" || len(c.Command) != 5 || c.Command[2] != "6379" || c.Value != `connected_slaves:(\d+)` {
		t.Errorf("command = %+v", c)
	}
	if got := inv.ServicesOf("redis-1"); len(got) != 2 || got[0].String() != "http/api" || got[1].String() != "command/replicas" {
		t.Errorf("ServicesOf(redis-1) = %v", got)
	}
}

// TestDecodedToxiproxy pins the toxiproxy servers and the hosts that name
// them; the token stays a reference.
func TestDecodedToxiproxy(t *testing.T) {
	inv, err := Load("testdata/valid/toxiproxy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []ToxiproxyServer{
		{Name: "staging", API: "http://toxiproxy.staging:8474"},
		{Name: "edge", API: "https://edge.example/toxiproxy/", Token: "env:TOXIPROXY_TOKEN"},
	}
	if !reflect.DeepEqual(inv.Toxiproxy, want) {
		t.Errorf("toxiproxy = %+v, want %+v", inv.Toxiproxy, want)
	}
	h, _ := inv.Host("cache-1")
	wantAt := yamldoc.Problem{File: "testdata/valid/toxiproxy.yaml", Pos: yamldoc.Pos{Line: 10, Col: 41}, Field: "hosts[0].toxiproxy.proxy"}
	if h.Toxiproxy == nil || *h.Toxiproxy != (ToxiproxyProxy{Server: "staging", Proxy: "redis-cache-1", At: wantAt}) {
		t.Errorf("cache-1's toxiproxy = %+v", h.Toxiproxy)
	}
	if s, ok := inv.ToxiproxyServerNamed("edge"); !ok || s.Token.String() != "env:TOXIPROXY_TOKEN" {
		t.Errorf("ToxiproxyServerNamed(edge) = %+v, %v", s, ok)
	}
}
