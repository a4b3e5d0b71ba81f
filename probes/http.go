package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gameday-dev/gameday/targets"
)

// maxHTTPBody bounds how much of a response http.latency reads: enough
// for a health document, not a download.
const maxHTTPBody = 1 << 20

// statusError is a response whose status is not the one expected.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return "status " + strconv.Itoa(e.code) + " " + http.StatusText(e.code)
}

// errBodyMismatch is a response whose body does not match body_match.
var errBodyMismatch = errors.New("body does not match")

// newHTTPLatency builds http.latency: constant-rate requests to one URL,
// open model like redis.latency, each bounded by the timeout; a request
// succeeds when its status is the expected one (any 2xx by default) and,
// when body_match is set, its body matches. Redirects are not followed:
// the probe measures the endpoint it names.
func newHTTPLatency(svc targets.HTTP, cfg Config) *openProbe {
	p := &openProbe{name: "http.latency", target: svc.Name, cfg: cfg, classify: classifyHTTP}
	var client *http.Client
	var body *regexp.Regexp
	method := svc.Method
	if method == "" {
		method = http.MethodGet
	}
	p.start = func(context.Context) error {
		rt, err := svc.RoundTripper(cfg.Timeout)
		if err != nil {
			return err
		}
		if svc.BodyMatch != "" {
			if body, err = regexp.Compile(svc.BodyMatch); err != nil {
				return fmt.Errorf("http %s body_match: %w", svc.Name, err)
			}
		}
		client = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		return nil
	}
	p.do = func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, method, svc.URL, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if !svc.StatusOK(resp.StatusCode) {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxHTTPBody))
			return &statusError{resp.StatusCode}
		}
		if body == nil {
			_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxHTTPBody))
			return err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
		if err != nil {
			return err
		}
		if !body.Match(b) {
			return errBodyMismatch
		}
		return nil
	}
	p.stop = func() {
		if client != nil {
			client.CloseIdleConnections()
		}
	}
	return p
}

// classifyHTTP names HTTP failure classes: "status_503", "body_mismatch",
// then the network classes every probe shares.
func classifyHTTP(err error) string {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return "status_" + strconv.Itoa(se.code)
	case errors.Is(err, errBodyMismatch):
		return "body_mismatch"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return "tls"
	}
	return classifyGeneric(err)
}
