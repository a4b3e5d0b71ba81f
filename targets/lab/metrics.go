package lab

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// The lab's own exporter, served on the control API as GET /metrics (the
// token required, like every request there) and scraped by the lab's
// Prometheus: what the lab knows of each node at the moment of the scrape
// (GET /v1/nodes), so a PromQL query sees a fault's window from the lab's
// side.
var (
	nodeUpDesc = prometheus.NewDesc("gameday_lab_node_up",
		"1 while the lab node's process runs and is not paused, else 0.", []string{"node", "kind"}, nil)
	nodeCutDesc = prometheus.NewDesc("gameday_lab_node_cut",
		"1 while the lab node is partitioned (proxy closed or broker cut), else 0.", []string{"node", "kind"}, nil)
	nodeBlockedDesc = prometheus.NewDesc("gameday_lab_node_blocked_peers",
		"How many lab nodes this node refuses (peer-specific or outgoing cuts).", []string{"node", "kind"}, nil)
	nodeToxicsDesc = prometheus.NewDesc("gameday_lab_node_toxics",
		"How many Toxiproxy toxics sit on the node's proxy.", []string{"node", "kind"}, nil)
)

// nodeCollector is a prometheus.Collector over the lab's node status.
type nodeCollector struct{ nodes func() []labapi.NodeStatus }

// Describe implements prometheus.Collector.
func (nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{nodeUpDesc, nodeCutDesc, nodeBlockedDesc, nodeToxicsDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.nodes() {
		up := 0.0
		if n.State == labapi.StateRunning {
			up = 1
		}
		cut := 0.0
		if n.Cut {
			cut = 1
		}
		ch <- prometheus.MustNewConstMetric(nodeUpDesc, prometheus.GaugeValue, up, n.Name, n.Kind)
		ch <- prometheus.MustNewConstMetric(nodeCutDesc, prometheus.GaugeValue, cut, n.Name, n.Kind)
		ch <- prometheus.MustNewConstMetric(nodeBlockedDesc, prometheus.GaugeValue, float64(len(n.Blocked)), n.Name, n.Kind)
		ch <- prometheus.MustNewConstMetric(nodeToxicsDesc, prometheus.GaugeValue, float64(len(n.Toxics)), n.Name, n.Kind)
	}
}

// metricsHandler serves the lab's exporter (and nothing of this process
// beyond it: a registry of its own, not the default one).
func (l *Lab) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(nodeCollector{nodes: l.Nodes})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
