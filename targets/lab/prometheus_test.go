package lab_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/promserver"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
	"github.com/gameday-dev/gameday/timeline"
)

// TestLabPrometheus: the lab starts a real Prometheus scraping the lab's
// own exporter and lists it in its inventory with an example query; the
// query, run by the real prometheus.query probe, reads 0 nodes down, then
// breaches once a node is killed (within a scrape and a probe interval of
// the kill, give or take a loaded machine), and holds again after the
// node is started.
func TestLabPrometheus(t *testing.T) {
	if !promserver.Available() {
		t.Fatal("prometheus is not installed: scripts/deps.sh installs Debian's prometheus package")
	}
	l := labtest.Start(t, lab.Options{NoKafka: true})
	inv, err := targets.Load(l.InventoryPath()) // the file, as `make lab` reads it
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(inv.Services.Prometheus, func(p targets.Prometheus) bool { return p.Name == lab.PrometheusService })
	if i < 0 {
		t.Fatalf("the lab's inventory lists no %s service: %+v", lab.PrometheusService, inv.Services.Prometheus)
	}
	svc := inv.Services.Prometheus[i]
	if len(svc.Queries) != 1 || svc.Queries[0].Query != lab.NodesDownQuery || len(svc.Queries[0].Thresholds) != 1 {
		t.Fatalf("%s queries = %+v, want the example query with its threshold", svc.Name, svc.Queries)
	}

	// The exporter is behind the lab's token, as the whole control API.
	resp, err := http.Get("http://" + inv.Lab.Control + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /metrics without the token: %s, want 401", resp.Status)
	}

	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(1 << 12)
	set, err := probes.NewSet(&targets.Inventory{Services: targets.Services{Prometheus: inv.Services.Prometheus}}, rec, probes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	target := lab.PrometheusService + " " + lab.NodesDownProbe
	wait := func(what string, within time.Duration, ok func(probes.Reading) bool) probes.Reading {
		t.Helper()
		deadline := time.After(within)
		var last probes.Reading
		for {
			select {
			case e := <-sub.C():
				var r probes.Reading
				if e.Kind != timeline.ProbeWindow || e.Decode(&r) != nil || r.Target != target {
					continue
				}
				last = r
				if ok(r) {
					return r
				}
			case <-deadline:
				t.Fatalf("%s: not within %s; last reading %s %v (%s)\nprometheus log:\n%s", what, within, last.Status, last.Value, last.Detail, promLog(t, l))
			}
		}
	}
	// First a reading from a real scrape: up{job="lab"} is there.
	wait("a scrape of the lab", 30*time.Second, func(r probes.Reading) bool { return r.Status == probes.StatusOK && scraped(t, svc.URL) })
	wait("0 nodes down, from scraped data", 10*time.Second, func(r probes.Reading) bool { return r.Status == probes.StatusOK && r.Value == 0 })

	c := l.Client()
	do := func(a labapi.Action) {
		t.Helper()
		res, err := c.Do(context.Background(), false, a)
		if err == nil {
			err = labapi.FirstError(res)
		}
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	do(labapi.Action{Op: labapi.OpSignal, Node: "redis-2", Signal: "KILL"})
	killed := time.Now()
	// One scrape (1 s) and one probe interval (1 s); allow for a loaded
	// machine, and log what it took.
	r := wait("a breach with redis-2 killed", 30*time.Second, func(r probes.Reading) bool { return r.Status == probes.StatusBreach && r.Value == 1 })
	t.Logf("redis-2 killed: %s reads %v nodes down (%s) after %s", target, r.Value, r.Threshold, r.Time.Sub(killed).Round(10*time.Millisecond))
	do(labapi.Action{Op: labapi.OpStart, Node: "redis-2"})
	wait("0 nodes down after the start", 30*time.Second, func(r probes.Reading) bool { return r.Status == probes.StatusOK && r.Value == 0 })
}

// scraped reports whether Prometheus has scraped the lab's exporter.
func scraped(t *testing.T, base string) bool {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(`up{job="lab"} == 1`))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), `"job":"lab"`)
}

func promLog(t *testing.T, l *lab.Lab) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(l.Dir(), "prometheus", "prometheus.log"))
	return string(b)
}
