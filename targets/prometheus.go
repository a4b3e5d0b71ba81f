package targets

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/api"
)

// Prometheus is a Prometheus server, or anything speaking its HTTP query
// API (Thanos, Mimir, VictoriaMetrics), whose PromQL queries are probes:
// the steady state a team already watches, judged by gameday's
// thresholds.
type Prometheus struct {
	Name string `yaml:"name" json:"name"`
	// URL is the server's base URL, path prefix included
	// ("https://prom.example:9090", "https://example/prometheus").
	URL string `yaml:"url" json:"url"`
	// BearerToken is sent as "Authorization: Bearer …"; BasicAuth instead
	// sends a user and password. At most one of the two.
	BearerToken SecretRef  `yaml:"bearer_token,omitempty" json:"bearer_token,omitempty" yamldoc:"secret"`
	BasicAuth   *BasicAuth `yaml:"basic_auth,omitempty" json:"basic_auth,omitempty"`
	TLS         *TLS       `yaml:"tls,omitempty" json:"tls,omitempty"`
	// Queries are the probes, each a PromQL query with thresholds.
	Queries []PromQuery `yaml:"queries" json:"queries"`
}

// PromQuery is one PromQL probe: an instant query evaluated every
// Interval, each series it returns judged against Thresholds ("value <
// 5").
type PromQuery struct {
	// Name labels the probe ("errors-5xx"); unique within its server.
	Name string `yaml:"name" json:"name"`
	// Query is the PromQL expression, evaluated as an instant query.
	Query      string        `yaml:"query" json:"query"`
	Thresholds []string      `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	Interval   time.Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	Timeout    time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// MaxSeries bounds the rows one query shows (default 10); the series
	// beyond are still judged, and the probe says how many were cut.
	MaxSeries int  `yaml:"max_series,omitempty" json:"max_series,omitempty"`
	Disabled  bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Pos is where Query is written in the file, for gameday check to
	// point at a query the server rejects (not in YAML).
	Pos Pos `yaml:"-" json:"-"`
}

// ProbeConfig returns the query's settings in the form every probe takes.
func (q PromQuery) ProbeConfig() ProbeConfig {
	return ProbeConfig{Disabled: q.Disabled, Interval: q.Interval, Timeout: q.Timeout, Thresholds: q.Thresholds}
}

// APIClient returns a client of the server's HTTP API that authenticates
// and verifies TLS as the inventory says; connecting and TLS handshakes
// are bounded by timeout (each query by its own context). Secrets are
// read now.
func (p Prometheus) APIClient(timeout time.Duration) (api.Client, error) {
	tr, err := HTTPTransport(p.TLS, timeout)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", p.Name, err)
	}
	rt, err := withAuth(tr, p.BearerToken, p.BasicAuth, nil)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", p.Name, err)
	}
	c, err := api.NewClient(api.Config{Address: p.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", p.Name, err)
	}
	return c, nil
}
