package targets

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// BaseURL is the server's API URL without a trailing slash: paths such as
// /proxies are appended to it.
func (s ToxiproxyServer) BaseURL() string { return strings.TrimRight(s.API, "/") }

// ToxiproxyAPI is a Toxiproxy server's API through the Toxiproxy client
// package (github.com/Shopify/toxiproxy/v2/client), which every call of
// gameday's goes through. Close it when done.
type ToxiproxyAPI struct {
	client *toxiproxy.Client
	// gate is the server the client talks to (see Open).
	gate *http.Server
}

// Open makes the server's client. The client talks to a gate of
// gameday's own, which forwards each request to the API: an HTTP server on
// 127.0.0.1, answering only under a random 128-bit path prefix, living as
// long as this ToxiproxyAPI. The client package builds its http.Client
// privately (NewClient sets an unexported field, with no option for a
// transport or a header), so a bearer token cannot be given to it: the gate
// adds the Authorization header when the server has a token (read from its
// reference now). It also turns an error answer that is not Toxiproxy's
// JSON (a gateway's 502 page, an authenticating proxy's 401) into
// Toxiproxy's JSON error, since the client reports any other body as a
// JSON syntax error and loses the status.
func (s ToxiproxyServer) Open() (*ToxiproxyAPI, error) {
	tok, err := s.Token.Resolve()
	if err != nil {
		return nil, fmt.Errorf("toxiproxy server %s: token: %w", s.Name, err)
	}
	if strings.ContainsAny(tok, "\r\n\x00") {
		return nil, fmt.Errorf("toxiproxy server %s: the token from %s holds a line break, which cannot go in an Authorization header", s.Name, s.Token)
	}
	api, err := url.Parse(s.BaseURL())
	if err != nil {
		return nil, fmt.Errorf("toxiproxy server %s: api: %w", s.Name, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("toxiproxy server %s: the token gate: %w", s.Name, err)
	}
	prefix := "/" + rand.Text()
	fwd := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(api)
			if tok != "" {
				r.Out.Header.Set("Authorization", "Bearer "+tok)
			}
		},
		ModifyResponse: apiErrorJSON,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			writeAPIError(w, http.StatusBadGateway, oneLineErr(err))
		},
	}
	gate := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok || !strings.HasPrefix(rest, "/") {
			http.NotFound(w, r)
			return
		}
		r.URL.Path, r.URL.RawPath = rest, ""
		fwd.ServeHTTP(w, r)
	})}
	go gate.Serve(l) //nolint:errcheck // ends with Close
	return &ToxiproxyAPI{client: toxiproxy.NewClient("http://" + l.Addr().String() + prefix), gate: gate}, nil
}

// apiErrorJSON turns an error answer that is not Toxiproxy's JSON (an
// authenticating proxy's 401 page) into it, since the client package
// reports only a JSON error body and loses the status of any other.
func apiErrorJSON(resp *http.Response) error {
	if resp.StatusCode < 300 || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil
	}
	b := make([]byte, 200)
	n, _ := io.ReadFull(resp.Body, b)
	resp.Body.Close()
	msg := resp.Status
	if body := strings.TrimSpace(strings.SplitN(string(b[:n]), "\n", 2)[0]); body != "" {
		msg += ": " + body
	}
	out, _ := json.Marshal(toxiproxy.ApiError{Message: msg, Status: resp.StatusCode})
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Del("Content-Length")
	resp.ContentLength = int64(len(out))
	resp.Body = io.NopCloser(bytes.NewReader(out))
	return nil
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(toxiproxy.ApiError{Message: msg, Status: status}) //nolint:errcheck // the client reads it or not
}

func oneLineErr(err error) string {
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// Close ends the token gate, if any.
func (a *ToxiproxyAPI) Close() {
	if a.gate != nil {
		a.gate.Close()
	}
}

// Do runs fn with the client, giving up when ctx ends (the client package
// takes no context: its own timeout, 30 s, ends an abandoned call). An
// error is one line: the API's own message when it sent one.
func (a *ToxiproxyAPI) Do(ctx context.Context, fn func(c *toxiproxy.Client) error) error {
	done := make(chan error, 1)
	go func() { done <- fn(a.client) }()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		var ae *toxiproxy.ApiError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &ae):
			return err
		case errors.As(err, &se):
			return fmt.Errorf("the API answered with an error that is not Toxiproxy's (%s)", oneLineErr(err))
		}
		return errors.New(oneLineErr(err))
	case <-ctx.Done():
		return ctx.Err()
	}
}

// IsToxiproxyNotFound reports whether err is the API's 404.
func IsToxiproxyNotFound(err error) bool {
	var ae *toxiproxy.ApiError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// Proxy asks the server for one of its proxies. A proxy the server does
// not have is an error of one sentence naming those it has.
func (a *ToxiproxyAPI) Proxy(ctx context.Context, name string) (*toxiproxy.Proxy, error) {
	var p *toxiproxy.Proxy
	err := a.Do(ctx, func(c *toxiproxy.Client) (err error) { p, err = c.Proxy(name); return err })
	if err == nil || !IsToxiproxyNotFound(err) {
		return p, err
	}
	var all map[string]*toxiproxy.Proxy
	if err := a.Do(ctx, func(c *toxiproxy.Client) (err error) { all, err = c.Proxies(); return err }); err != nil {
		if IsToxiproxyNotFound(err) {
			return nil, errors.New("GET /proxies: 404 Not Found: is this a Toxiproxy API?")
		}
		return nil, err
	}
	return nil, &NoProxyError{Name: name, Proxies: slices.Sorted(maps.Keys(all))}
}

// NoProxyError is a proxy its server does not have: the inventory names
// it wrongly, unlike a server that does not answer.
type NoProxyError struct {
	Name    string
	Proxies []string // those the server has
}

func (e *NoProxyError) Error() string {
	return fmt.Sprintf("the server has no proxy %q%s (its proxies: %s)", e.Name, yamldoc.DidYouMean(e.Name, e.Proxies), strings.Join(e.Proxies, ", "))
}

// CheckToxiproxyHost reaches a host that takes its faults through a
// Toxiproxy proxy: the server answers, and has the proxy.
func CheckToxiproxyHost(ctx context.Context, inv *Inventory, h Host) Readiness {
	srv, _ := inv.ToxiproxyServerNamed(h.Toxiproxy.Server)
	row := Readiness{Item: h.Name, Kind: "toxiproxy " + srv.Name, Address: srv.BaseURL()}
	return Timed(row, func() (string, error) {
		api, err := srv.Open()
		if err != nil {
			return "", err
		}
		defer api.Close()
		p, err := api.Proxy(ctx, h.Toxiproxy.Proxy)
		if err != nil {
			return "", err
		}
		state := "enabled"
		if !p.Enabled {
			state = "DISABLED (a partition cannot arm)"
		}
		return fmt.Sprintf("proxy %s %s, %s → %s, %d toxics", p.Name, state, p.Listen, p.Upstream, len(p.ActiveToxics)), nil
	})
}
