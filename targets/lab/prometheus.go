package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gameday-dev/gameday/internal/promserver"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// Names of the lab's Prometheus in its inventory.
const (
	PrometheusService = "lab-prometheus"
	// NodesDownQuery is the lab inventory's example PromQL probe: how many
	// lab nodes do not run (killed, stopped or paused), from the lab's own
	// exporter. Before Prometheus's first scrape of the lab (about 5 s
	// after it starts: Prometheus 2.42 hands targets to its scrapers every
	// 5 s) the absent() arm reads 0 — the lab has just seen every node up
	// itself; once a scrape has been tried, a failed one leaves no series,
	// which the probe reports as an error, never as a silent 0.
	NodesDownQuery = `sum(1 - gameday_lab_node_up) or absent(up{job="lab"}) * 0`
	// NodesDownProbe names that query in the inventory.
	NodesDownProbe = "lab-nodes-down"
	// labScrapeJob is the job label of the lab's exporter.
	labScrapeJob  = "lab"
	prometheusDir = "prometheus"
)

// startPrometheus starts Debian's Prometheus with its own config and data
// dir on a free loopback port, scraping the lab's exporter (the control
// API's GET /metrics, with the lab's token) and, as job "gameday", the
// endpoints in Options.Scrape. It runs under the process supervisor, so it
// dies with the lab even when the lab is SIGKILLed. Without the binary the
// lab runs without it and says so.
func (l *Lab) startPrometheus(ctx context.Context) error {
	o := l.opts
	if !promserver.Available() {
		o.Progress("prometheus: not installed (Debian package prometheus; scripts/deps.sh installs it): the lab runs without it")
		return nil
	}
	t0 := time.Now()
	dir := filepath.Join(o.Dir, prometheusDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("prometheus dir: %w", err)
	}
	s, err := promserver.Start(ctx, promserver.Options{
		Dir:     dir,
		Targets: o.Scrape,
		Jobs:    []promserver.Job{{Name: labScrapeJob, Targets: []string{l.ctl.addr}, TokenFile: labapi.TokenPath(o.Dir)}},
	})
	if err != nil {
		return fmt.Errorf("lab prometheus: %w", err)
	}
	l.prom = s
	o.Progress(fmt.Sprintf("prometheus: %s scraping the lab's exporter every 1s, ready after %s", s.URL, time.Since(t0).Round(time.Millisecond)))
	return nil
}

// addPrometheus lists the lab's Prometheus as a service with its example
// query.
func (l *Lab) addPrometheus(inv *targets.Inventory) {
	if l.prom == nil {
		return
	}
	inv.Services.Prometheus = append(inv.Services.Prometheus, targets.Prometheus{
		Name: PrometheusService,
		URL:  l.prom.URL,
		Queries: []targets.PromQuery{{
			Name:       NodesDownProbe,
			Query:      NodesDownQuery,
			Thresholds: []string{"value == 0"},
			Interval:   time.Second,
		}},
	})
}
