package targets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// ToxiproxyProxyState is a proxy as a Toxiproxy server reports it
// (GET /proxies/NAME).
type ToxiproxyProxyState struct {
	Name     string `json:"name"`
	Listen   string `json:"listen"`
	Upstream string `json:"upstream"`
	Enabled  bool   `json:"enabled"`
	Toxics   []struct {
		Name string `json:"name"`
	} `json:"toxics"`
}

// BaseURL is the server's API URL without a trailing slash: paths such as
// /proxies are appended to it.
func (s ToxiproxyServer) BaseURL() string { return strings.TrimRight(s.API, "/") }

// Proxy asks the server for one of its proxies. A proxy the server does
// not have is an error of one sentence naming those it has. The token,
// if any, is read now and sent as a bearer token.
func (s ToxiproxyServer) Proxy(ctx context.Context, name string) (ToxiproxyProxyState, error) {
	var p ToxiproxyProxyState
	found, err := s.get(ctx, "/proxies/"+url.PathEscape(name), &p)
	if err != nil || found {
		return p, err
	}
	var all map[string]json.RawMessage
	if found, err := s.get(ctx, "/proxies", &all); err != nil {
		return p, err
	} else if !found {
		return p, errors.New("GET /proxies: 404 Not Found: is this a Toxiproxy API?")
	}
	names := slices.Sorted(maps.Keys(all))
	return p, fmt.Errorf("the server has no proxy %q%s (its proxies: %s)", name, yamldoc.DidYouMean(name, names), strings.Join(names, ", "))
}

// get reads one JSON document of the server's API; found is false on a
// 404.
func (s ToxiproxyServer) get(ctx context.Context, path string, into any) (found bool, err error) {
	tok, err := s.Token.Resolve()
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.BaseURL()+path, nil)
	if err != nil {
		return false, err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return false, fmt.Errorf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return false, nil
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(into); err != nil {
		return false, fmt.Errorf("GET %s: %v", path, err)
	}
	return true, nil
}

// CheckToxiproxyHost reaches a host that takes its faults through a
// Toxiproxy proxy: the server answers, and has the proxy.
func CheckToxiproxyHost(ctx context.Context, inv *Inventory, h Host) Readiness {
	srv, _ := inv.ToxiproxyServerNamed(h.Toxiproxy.Server)
	row := Readiness{Item: h.Name, Kind: "toxiproxy " + srv.Name, Address: srv.BaseURL()}
	return Timed(row, func() (string, error) {
		p, err := srv.Proxy(ctx, h.Toxiproxy.Proxy)
		if err != nil {
			return "", err
		}
		state := "enabled"
		if !p.Enabled {
			state = "DISABLED (a partition cannot arm)"
		}
		return fmt.Sprintf("proxy %s %s, %s → %s, %d toxics", p.Name, state, p.Listen, p.Upstream, len(p.Toxics)), nil
	})
}
