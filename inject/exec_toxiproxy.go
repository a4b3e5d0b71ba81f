package inject

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// toxiproxyExecutor carries a host's network faults to a proxy of a
// Toxiproxy server the team runs (inventory: a toxiproxy server by name,
// and the host's proxy on it), through the server's HTTP API. Each step is
// one curl command run on this machine, so the plan shows exactly what
// runs, and the ledger's steps revert without the inventory. It adds and
// removes only toxics it names gameday-<fault id>-<type>: a user's own
// toxics on the same proxy stay exactly as they were. Its guard is the
// SSH executor's detached shell, run on this machine: it survives
// gameday, but — unlike an SSH host's guard — it lives on the controller,
// so it needs this machine up and able to reach the server.
type toxiproxyExecutor struct {
	local sshExecutor
	inv   *targets.Inventory
}

func init() {
	registerExecutor(executorDef{
		name:   "toxiproxy",
		order:  20,
		reach:  "through the Toxiproxy server's API (curl on this machine; its TTL guard runs on this machine)",
		serves: func(h targets.Host) bool { return h.Toxiproxy != nil },
		open: func(env *execEnv, _ map[string]string) (Executor, error) {
			return toxiproxyExecutor{local: sshExecutor{runner: func() Runner { return LocalRunner{} }}, inv: env.inv}, nil
		},
	})
}

// Via is empty: the recorded steps name the server's URL and the token's
// reference, which is all a revert needs.
func (toxiproxyExecutor) Via() map[string]string { return nil }

// toxiServer is a host's Toxiproxy server as the steps reach it.
type toxiServer struct {
	targets.ToxiproxyServer
	api string // BaseURL, checked
	// tokenExpr is the shell expression that reads the token from its
	// reference when a step runs ("" without a token).
	tokenExpr string
}

// server resolves a host's server from the inventory: its URL
// (http or https, no credentials, no query) and its token, read now so a
// reference that does not resolve fails the plan, not the revert.
func (x toxiproxyExecutor) server(h targets.Host) (toxiServer, string, error) {
	px := h.Toxiproxy
	if x.inv == nil {
		return toxiServer{}, "", fmt.Errorf("host %s: no inventory lists its Toxiproxy server %q", h.Name, oneLine(px.Server))
	}
	srv, ok := x.inv.ToxiproxyServerNamed(px.Server)
	switch {
	case !ok:
		return toxiServer{}, "", fmt.Errorf("host %s: the inventory lists no toxiproxy server named %q", h.Name, oneLine(px.Server))
	case px.Proxy == "":
		return toxiServer{}, "", fmt.Errorf("host %s: toxiproxy.proxy is missing: name the proxy in front of the host's service", h.Name)
	}
	u, err := url.Parse(srv.API)
	switch {
	case err != nil:
		return toxiServer{}, "", fmt.Errorf("toxiproxy server %s: api is not a URL: %v", srv.Name, oneLine(err.Error()))
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return toxiServer{}, "", fmt.Errorf("toxiproxy server %s: api %q: want http://HOST:PORT or https://HOST:PORT", srv.Name, oneLine(u.Redacted()))
	case u.User != nil:
		return toxiServer{}, "", fmt.Errorf("toxiproxy server %s: api %q holds credentials: give a token reference instead", srv.Name, oneLine(u.Redacted()))
	case u.RawQuery != "" || u.ForceQuery:
		return toxiServer{}, "", fmt.Errorf("toxiproxy server %s: api %q: give scheme, host, port and at most a path prefix (no query)", srv.Name, oneLine(srv.API))
	}
	s := toxiServer{ToxiproxyServer: srv, api: srv.BaseURL()}
	if !srv.Token.IsZero() {
		tok, err := srv.Token.Resolve()
		if err != nil {
			return toxiServer{}, "", fmt.Errorf("toxiproxy server %s: token: %v", srv.Name, oneLine(err.Error()))
		}
		if tok == "" || strings.ContainsAny(tok, "\"\\\r\n\x00") {
			return toxiServer{}, "", fmt.Errorf("toxiproxy server %s: the token from %s is empty or holds a quote, backslash or line break, which cannot go in an Authorization header", srv.Name, srv.Token)
		}
		ref := srv.Token.String()
		if name, ok := strings.CutPrefix(ref, "env:"); ok {
			s.tokenExpr = "${" + name + "}"
		} else {
			path, err := filepath.Abs(strings.TrimPrefix(ref, "file:"))
			if err != nil {
				return toxiServer{}, "", fmt.Errorf("toxiproxy server %s: token: %v", srv.Name, oneLine(err.Error()))
			}
			// Resolve drops the file's trailing line break; so does $(…).
			s.tokenExpr = "$(cat " + Quote(path) + ")"
		}
	}
	return s, px.Proxy, nil
}

// curl is a curl command line against the server; with a token, the
// value reaches curl on its stdin as a config line, read from the
// reference when the step runs, so it is in no script, plan, ledger or
// command line.
func (s toxiServer) curl(args string) string {
	if s.tokenExpr == "" {
		return "curl " + args
	}
	return `printf 'header = "Authorization: Bearer %s"\n' "` + s.tokenExpr + `" | curl -K - ` + args
}

// toxicBody is a toxic as POST /proxies/NAME/toxics takes it. Toxicity is
// always sent as the kind gave it: the server reads a missing one as 1.
type toxicBody struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]int `json:"attributes,omitempty"`
}

// Plan asks the server for the proxy (it must exist; a partition needs it
// enabled, or its revert would enable what the user disabled), then turns
// the kind's lab plan — a toxic on a proxy, or the proxy closed — into
// curl steps against the server.
func (x toxiproxyExecutor) Plan(ctx context.Context, f Fault, t PlanTarget) (Steps, error) {
	srv, name, err := x.server(t.Host)
	if err != nil {
		return Steps{}, err
	}
	askCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	proxy, err := srv.Proxy(askCtx, name)
	cancel()
	if err != nil {
		return Steps{}, fmt.Errorf("host %s: Toxiproxy server %s at %s: %v", t.Host.Name, srv.Name, srv.api, oneLine(err.Error()))
	}
	lt := t
	lt.Host.Lab = &targets.LabNode{Kind: "toxiproxy", Proxy: name}
	lp, err := f.LabPlan(lt)
	if err != nil {
		return Steps{}, err
	}
	pxURL := srv.api + "/proxies/" + url.PathEscape(name)
	steps := Steps{Detect: []Step{{Name: "curl on this machine", Script: `command -v curl >/dev/null`,
		Fail: "curl is not installed on this machine: the Toxiproxy executor runs curl"}}}
	for _, s := range lp.Inject {
		switch {
		case s.Op == LabToxicAdd && s.Toxic != nil:
			tx := toxicBody{Name: "gameday-" + t.ID + "-" + s.Toxic.Type, Type: s.Toxic.Type, Stream: s.Toxic.Stream,
				Toxicity: s.Toxic.Toxicity, Attributes: s.Toxic.Attributes}
			if tx.Stream == "" {
				tx.Stream = "downstream"
			}
			body, err := json.Marshal(tx)
			if err != nil {
				return Steps{}, err
			}
			one := pxURL + "/toxics/" + url.PathEscape(tx.Name)
			steps.Inject = append(steps.Inject, Step{Name: "add toxic " + tx.Name + " to proxy " + name,
				Script: srv.curl(`-fsS -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary ` + Quote(string(body)) + ` ` + Quote(pxURL+"/toxics"))})
			steps.Verify = append(steps.Verify, Step{Name: "toxic " + tx.Name + " present", Script: srv.curl(`-fsS -o /dev/null ` + Quote(one))})
			steps.Revert = append(steps.Revert, Step{Name: "remove toxic " + tx.Name, Script: lines(
				`c=$(`+srv.curl(`-sS -o /dev/null -w '%{http_code}' -X DELETE `+Quote(one))+`) || exit 1`,
				`[ "$c" = 204 ] || [ "$c" = 404 ] || { echo "HTTP $c" >&2; exit 1; }`)})
			steps.VerifyGone = append(steps.VerifyGone, Step{Name: "toxic " + tx.Name + " gone", Script: lines(
				`c=$(`+srv.curl(`-sS -o /dev/null -w '%{http_code}' `+Quote(one))+`) || exit 1`,
				`[ "$c" = 404 ] || { echo "toxic still there (HTTP $c)" >&2; exit 1; }`)})
		case s.Op == LabCut && len(s.Peers) == 0 && (s.Direction == "" || s.Direction == string(DirBoth)):
			if !proxy.Enabled {
				return Steps{}, fmt.Errorf("host %s: proxy %q is disabled already: its revert would enable what someone else disabled", t.Host.Name, oneLine(name))
			}
			set := func(on bool) string {
				return srv.curl(`-fsS -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary ` + Quote(fmt.Sprintf(`{"enabled":%t}`, on)) + ` ` + Quote(pxURL))
			}
			is := func(on bool) string {
				return lines(`b=$(`+srv.curl(`-fsS `+Quote(pxURL))+`) || exit 1`,
					fmt.Sprintf(`case "$b" in *'"enabled":%t'*) ;; *) echo "proxy not enabled=%t" >&2; exit 1;; esac`, on, on))
			}
			steps.Inject = append(steps.Inject, Step{Name: "disable proxy " + name, Script: set(false)})
			steps.Verify = append(steps.Verify, Step{Name: "proxy " + name + " disabled", Script: is(false)})
			steps.Revert = append(steps.Revert, Step{Name: "enable proxy " + name, Script: set(true)})
			steps.VerifyGone = append(steps.VerifyGone, Step{Name: "proxy " + name + " enabled", Script: is(true)})
		default:
			return Steps{}, fmt.Errorf("host %s: %s through Toxiproxy: a proxy cannot %s (only toxics, or the whole proxy closed)", t.Host.Name, f.Kind(), s)
		}
	}
	return steps, nil
}

// Run runs a step's curl command on this machine.
func (x toxiproxyExecutor) Run(ctx context.Context, h targets.Host, s Step) error {
	return x.local.Run(ctx, h, s)
}

// guard is g under a name of its own per host: every Toxiproxy host's
// guard runs on this one machine, whose state files are named by it.
func toxiproxyGuard(g Guard) Guard {
	g.Fault = g.Fault + "-" + g.Host
	return g
}

// Guard is a detached shell on this machine that, at TTL, runs the
// reverts and verify-gone steps and records which way it went.
func (x toxiproxyExecutor) Guard(g Guard) (start, cancel Step) {
	return x.local.Guard(toxiproxyGuard(g))
}

// GuardOutcome reads that guard's marker on this machine.
func (x toxiproxyExecutor) GuardOutcome(ctx context.Context, h targets.Host, g Guard) (GuardOutcome, error) {
	return x.local.GuardOutcome(ctx, h, toxiproxyGuard(g))
}
