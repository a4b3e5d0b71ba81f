package targets

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// toxiproxy checks the inventory's Toxiproxy servers: a unique name, an
// http(s) API URL without credentials or query, a token only by
// reference.
func (v *validator) toxiproxy() {
	first := map[string]int{}
	for i, s := range v.inv.Toxiproxy {
		path := yamldoc.Index("toxiproxy", i)
		v.named(first, "toxiproxy", i, s.Name, "toxiproxy server")
		if strings.TrimSpace(s.API) == "" {
			v.problem(path+".api", "missing; give the server's HTTP API, e.g. http://toxiproxy.staging:8474")
		} else {
			v.url(path+".api", s.API, nil, toxiproxyAPI)
			if u, err := url.Parse(s.API); err == nil && (u.RawQuery != "" || u.ForceQuery) {
				v.problem(path+".api", "%q has a query; give scheme, host, port and at most a path prefix", s.API)
			}
		}
		v.secret(path+".token", s.Token)
	}
}

// hostToxiproxy checks a host's toxiproxy block: a server the inventory
// lists and a proxy name.
func (v *validator) hostToxiproxy(path string, h Host) {
	px := h.Toxiproxy
	px.At = yamldoc.Problem{File: v.r.File, Pos: v.r.PosOf(path + ".proxy"), Field: path + ".proxy"}
	if h.Lab != nil {
		v.problem(path, "a host takes its faults through a lab node or a Toxiproxy proxy, not both; drop lab or toxiproxy")
	}
	var names []string
	for _, s := range v.inv.Toxiproxy {
		if s.Name != "" && !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	switch _, known := v.inv.ToxiproxyServerNamed(px.Server); {
	case strings.TrimSpace(px.Server) == "" && len(names) == 0:
		v.problem(path+".server", "missing; list the server under toxiproxy: (name and api) and name it here")
	case strings.TrimSpace(px.Server) == "":
		v.problem(path+".server", "missing; name one of the inventory's toxiproxy servers (%s)", strings.Join(names, ", "))
	case known || v.r.Failed("toxiproxy"):
	case len(names) == 0:
		v.problem(path+".server", "no toxiproxy server named %q: the inventory lists none; add it under toxiproxy: with its name and api", px.Server)
	default:
		v.problem(path+".server", "no toxiproxy server named %q in toxiproxy%s", px.Server, yamldoc.DidYouMean(px.Server, names))
	}
	switch {
	case strings.TrimSpace(px.Proxy) == "":
		v.problem(path+".proxy", "missing; name the proxy in front of this host's service, as the server lists it (GET /proxies)")
	case url.PathEscape(px.Proxy) != px.Proxy:
		// The client package puts the name into its URLs as it is.
		v.problem(path+".proxy", "%q cannot be a path segment of Toxiproxy's API (it holds /, ?, %%, a space or the like); name the proxy as the server lists it", px.Proxy)
	}
}
