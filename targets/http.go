package targets

import (
	"fmt"
	"net/http"
	"time"
)

// HTTPMethods are the methods an http probe may send: it repeats its
// request many times a second, so it must not change anything.
var HTTPMethods = []string{http.MethodGet, http.MethodHead, http.MethodOptions}

// HTTP is an HTTP(S) endpoint whose latency and success rate are a probe
// (http.latency): requests at a constant rate, open model, as
// redis.latency sends its commands.
type HTTP struct {
	Name string `yaml:"name" json:"name"`
	// Hosts are the inventory hosts serving it (blast radius).
	Hosts []string `yaml:"hosts,omitempty" json:"hosts,omitempty"`
	URL   string   `yaml:"url" json:"url"`
	// Method is GET (default), HEAD or OPTIONS.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Status is the status a healthy answer has; 0 means any 2xx.
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
	// BodyMatch is a regular expression (RE2) the body of a healthy
	// answer matches somewhere in its first MiB.
	BodyMatch string `yaml:"body_match,omitempty" json:"body_match,omitempty"`
	// Headers are sent with every request. A value may be a secret
	// reference (env:NAME, file:PATH); headers that carry credentials
	// (Authorization, Cookie, *token*, *key*, …) must be one.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	TLS     *TLS              `yaml:"tls,omitempty" json:"tls,omitempty"`
	Probes  Probes            `yaml:"probes,omitempty" json:"probes,omitempty"`
}

// StatusOK reports whether an answer with this status is healthy.
func (h HTTP) StatusOK(code int) bool {
	if h.Status == 0 {
		return code >= 200 && code < 300
	}
	return code == h.Status
}

// RoundTripper returns the transport the probe sends its requests with:
// TLS as configured, the headers (secrets read now) on every request,
// dials and handshakes bounded by timeout.
func (h HTTP) RoundTripper(timeout time.Duration) (http.RoundTripper, error) {
	tr, err := HTTPTransport(h.TLS, timeout)
	if err != nil {
		return nil, fmt.Errorf("http %s: %w", h.Name, err)
	}
	rt, err := withAuth(tr, "", nil, h.Headers)
	if err != nil {
		return nil, fmt.Errorf("http %s: %w", h.Name, err)
	}
	return rt, nil
}
