package probes

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gameday-dev/gameday/targets"
)

// newHTTPLatency builds http.latency: constant-rate requests to one URL,
// open model like redis.latency, each bounded by the timeout, each a
// success when targets.HTTPClient finds the answer healthy (the expected
// status, any 2xx by default, and a body matching body_match).
func newHTTPLatency(svc targets.HTTP, cfg Config) *openProbe {
	p := &openProbe{name: "http.latency", target: svc.Name, cfg: cfg, classify: classifyHTTP}
	var client *targets.HTTPClient
	p.start = func(context.Context) error {
		c, err := svc.NewClient(cfg.Timeout)
		client = c
		return err
	}
	p.do = func(ctx context.Context) error { return client.Do(ctx) }
	p.stop = func() {
		if client != nil {
			client.Close()
		}
	}
	return p
}

// classifyHTTP names HTTP failure classes: "status_503", "body_mismatch",
// "tls", then the network classes every probe shares.
func classifyHTTP(err error) string {
	var se *targets.HTTPStatusError
	switch {
	case errors.As(err, &se):
		return "status_" + strconv.Itoa(se.Code)
	case errors.Is(err, targets.ErrBodyMismatch):
		return "body_mismatch"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return "tls"
	}
	return classifyGeneric(err)
}
