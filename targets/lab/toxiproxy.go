package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/rs/zerolog"
)

// proxies is the embedded Toxiproxy server: one proxy per Redis node, each
// standing for that node's network. The lab drives it in-process; its own
// HTTP API is served only when asked (Options.ToxiproxyAPI), because that
// API has no authentication and every local user can reach loopback: the
// control API, with its token, is the lab's way in.
type proxies struct {
	server *toxiproxy.ApiServer
	http   *http.Server // nil unless the HTTP API is served
	addr   string       // where it is served, or ""
}

func startProxies(serveAPI bool) (*proxies, error) {
	logger := zerolog.Nop()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), logger)
	p := &proxies{server: srv}
	if !serveAPI {
		return p, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the Toxiproxy API: %w", err)
	}
	p.http = &http.Server{Handler: srv.Routes(), ReadHeaderTimeout: 5 * time.Second}
	p.addr = l.Addr().String()
	go func() { _ = p.http.Serve(l) }()
	return p, nil
}

// add creates and starts a proxy on a fresh loopback port. Once started, a
// proxy keeps its port across disable/enable, so the address written into
// configs and the inventory stays valid.
func (p *proxies) add(name, upstream string) (string, error) {
	px := toxiproxy.NewProxy(p.server, name, "127.0.0.1:0", upstream)
	if err := p.server.Collection.Add(px, true); err != nil {
		return "", fmt.Errorf("create proxy %s: %w", name, err)
	}
	px.Lock()
	defer px.Unlock()
	return px.Listen, nil
}

func (p *proxies) get(name string) (*toxiproxy.Proxy, error) {
	px, err := p.server.Collection.Get(name)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", name, err)
	}
	return px, nil
}

// setEnabled disables (a full partition: the listener closes and every open
// connection is cut) or re-enables a proxy. Both are idempotent.
func (p *proxies) setEnabled(name string, on bool) error {
	px, err := p.get(name)
	if err != nil {
		return err
	}
	if !on {
		px.Stop()
		return nil
	}
	if err := px.Start(); err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
		return fmt.Errorf("enable proxy %s: %w", name, err)
	}
	return nil
}

// enabled reports whether the proxy is passing traffic.
func (p *proxies) enabled(name string) (bool, error) {
	px, err := p.get(name)
	if err != nil {
		return false, err
	}
	px.Lock()
	defer px.Unlock()
	return px.Enabled, nil
}

// addToxic adds t to a proxy. Adding a toxic whose name already exists
// replaces it, so a retried inject does not fail.
func (p *proxies) addToxic(proxy string, t labapi.Toxic) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	if t.Name == "" {
		return fmt.Errorf("toxic on %s: name is empty", proxy)
	}
	if t.Toxicity == 0 {
		t.Toxicity = 1
	}
	if t.Stream == "" {
		t.Stream = "downstream"
	}
	body, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode toxic %s: %w", t.Name, err)
	}
	if px.Toxics.GetToxic(t.Name) != nil {
		if err := px.Toxics.RemoveToxic(context.Background(), t.Name); err != nil && !errors.Is(err, toxiproxy.ErrToxicNotFound) {
			return fmt.Errorf("replace toxic %s on %s: %w", t.Name, proxy, err)
		}
	}
	if _, err := px.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("add %s toxic %s on %s: %w", t.Type, t.Name, proxy, err)
	}
	return nil
}

// removeToxic removes a toxic; a missing toxic is not an error (revert is
// idempotent).
func (p *proxies) removeToxic(proxy, name string) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := px.Toxics.RemoveToxic(ctx, name); err != nil && !errors.Is(err, toxiproxy.ErrToxicNotFound) {
		return fmt.Errorf("remove toxic %s on %s: %w", name, proxy, err)
	}
	return nil
}

// toxics lists the names of the toxics on a proxy.
func (p *proxies) toxics(proxy string) ([]string, error) {
	px, err := p.get(proxy)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range px.Toxics.GetToxicArray() {
		if w, ok := t.(*toxics.ToxicWrapper); ok {
			names = append(names, w.Name)
		}
	}
	return names, nil
}

func (p *proxies) close() {
	if p.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.http.Shutdown(ctx)
	}
	_ = p.server.Collection.Clear()
}
