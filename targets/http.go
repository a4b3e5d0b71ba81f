package targets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
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

// maxHTTPBody bounds how much of an answer is read: enough for a health
// document, not a download.
const maxHTTPBody = 1 << 20

// HTTPStatusError is an answer whose status is not the expected one.
type HTTPStatusError struct{ Code int }

func (e *HTTPStatusError) Error() string {
	return "status " + strconv.Itoa(e.Code) + " " + http.StatusText(e.Code)
}

// ErrBodyMismatch is an answer whose body does not match body_match.
var ErrBodyMismatch = errors.New("the body does not match body_match")

// HTTPClient sends an http service's request as its probe and gameday
// check do: its TLS and headers, no redirects followed (the probe
// measures the endpoint it names), the body read up to 1 MiB.
type HTTPClient struct {
	svc    HTTP
	client *http.Client
	body   *regexp.Regexp
}

// NewClient prepares the service's client; secrets and TLS files are read
// now.
func (h HTTP) NewClient(timeout time.Duration) (*HTTPClient, error) {
	rt, err := h.RoundTripper(timeout)
	if err != nil {
		return nil, err
	}
	c := &HTTPClient{svc: h, client: &http.Client{Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if h.BodyMatch != "" {
		if c.body, err = regexp.Compile(h.BodyMatch); err != nil {
			return nil, fmt.Errorf("http %s body_match: %w", h.Name, err)
		}
	}
	return c, nil
}

// Do sends one request: nil when the answer is healthy, *HTTPStatusError
// or ErrBodyMismatch when it is not, the transport's error when none came.
func (c *HTTPClient) Do(ctx context.Context) error {
	method := c.svc.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, c.svc.URL, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxHTTPBody)
	if !c.svc.StatusOK(resp.StatusCode) {
		_, _ = io.Copy(io.Discard, body)
		return &HTTPStatusError{resp.StatusCode}
	}
	if c.body == nil {
		_, err = io.Copy(io.Discard, body)
		return err
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if !c.body.Match(b) {
		return ErrBodyMismatch
	}
	return nil
}

// Close drops the client's idle connections.
func (c *HTTPClient) Close() { c.client.CloseIdleConnections() }
