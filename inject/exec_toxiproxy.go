package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/gameday-dev/gameday/targets"
)

// toxiproxyExecutor carries a host's network faults to a proxy of a
// Toxiproxy server the team runs (inventory: a toxiproxy server by name,
// and the host's proxy on it), in this process, through the Toxiproxy
// client package. Each step is an action that names the server (its URL
// and its token's reference, never the token), so the ledger's steps
// revert without the inventory. It adds and removes only toxics it names
// gameday-<fault id>-<type>: a user's own toxics on the same proxy stay
// exactly as they were. Its guard is a detached `gameday guard` process
// on this machine (guard_local.go): it survives gameday, but — unlike an
// SSH host's guard — it lives on the controller, so it needs this machine
// up and able to reach the server.
type toxiproxyExecutor struct {
	inv *targets.Inventory
}

func init() {
	registerExecutor(executorDef{
		name:   "toxiproxy",
		order:  20,
		reach:  "through the Toxiproxy server's API (the Toxiproxy client package, from this machine; its TTL guard runs on this machine)",
		serves: func(h targets.Host) bool { return h.Toxiproxy != nil },
		open: func(env *execEnv, _ map[string]string) (Executor, error) {
			return toxiproxyExecutor{inv: env.inv}, nil
		},
	})
}

// Via is empty: each step names the server's URL and the token's
// reference, which is all a revert needs.
func (toxiproxyExecutor) Via() map[string]string { return nil }

// Toxiproxy action ops.
const (
	toxiAdd        = "toxic-add"
	toxiRemove     = "toxic-remove"
	toxiPresent    = "toxic-present"
	toxiGone       = "toxic-gone"
	toxiSetEnabled = "proxy-set-enabled"
	toxiIsEnabled  = "proxy-is-enabled"
	toxiGuardStart = "guard-start"
	toxiGuardStop  = "guard-cancel"
)

// toxiAction is a Toxiproxy step as the plan and the ledger carry it.
type toxiAction struct {
	Op      string                   `json:"op"`
	Server  *targets.ToxiproxyServer `json:"server,omitempty"`
	Proxy   string                   `json:"proxy,omitempty"`
	Toxic   *LabToxic                `json:"toxic,omitempty"`
	Enabled bool                     `json:"enabled,omitempty"`
	Guard   *localGuardSpec          `json:"guard,omitempty"`
}

func toxiStep(name string, a toxiAction) Step {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err) // plain fields only
	}
	return Step{Name: name, Action: b}
}

// server resolves a host's server from the inventory, with a file token
// reference made absolute (a guard runs from /) and the token read now,
// so a reference that does not resolve fails the plan, not the revert.
func (x toxiproxyExecutor) server(h targets.Host) (targets.ToxiproxyServer, string, error) {
	px := h.Toxiproxy
	if x.inv == nil {
		return targets.ToxiproxyServer{}, "", fmt.Errorf("host %s: no inventory lists its Toxiproxy server %q", h.Name, oneLine(px.Server))
	}
	srv, ok := x.inv.ToxiproxyServerNamed(px.Server)
	switch {
	case !ok:
		return srv, "", fmt.Errorf("host %s: the inventory lists no toxiproxy server named %q", h.Name, oneLine(px.Server))
	case px.Proxy == "":
		return srv, "", fmt.Errorf("host %s: toxiproxy.proxy is missing: name the proxy in front of the host's service", h.Name)
	}
	if p, ok := strings.CutPrefix(string(srv.Token), "file:"); ok {
		abs, err := filepath.Abs(p)
		if err != nil {
			return srv, "", fmt.Errorf("toxiproxy server %s: token: %v", srv.Name, oneLine(err.Error()))
		}
		srv.Token = targets.SecretRef("file:" + abs)
	}
	if _, err := srv.Token.Resolve(); err != nil {
		return srv, "", fmt.Errorf("toxiproxy server %s: token: %v", srv.Name, oneLine(err.Error()))
	}
	return srv, px.Proxy, nil
}

// toxicName is the name gameday gives a fault's toxic: its own prefix,
// the fault, the type, and the stream when upstream (a fault may put one
// toxic on each stream).
func toxicName(id string, t LabToxic) string {
	n := "gameday-" + id + "-" + t.Type
	if t.Stream == "upstream" {
		n += "-upstream"
	}
	return n
}

// describe renders a toxic for a step's name.
func describe(t LabToxic) string {
	var attrs []string
	for _, k := range slices.Sorted(maps.Keys(t.Attributes)) {
		attrs = append(attrs, fmt.Sprintf("%s=%d", k, t.Attributes[k]))
	}
	return fmt.Sprintf("%s %s, toxicity %g, %s", t.Type, t.Stream, t.Toxicity, strings.Join(attrs, " "))
}

// Plan asks the server for the proxy (it must exist; a partition needs it
// enabled, or its revert would enable what the user disabled), then turns
// the kind's lab plan — toxics on a proxy, or the proxy closed — into
// actions against the server.
func (x toxiproxyExecutor) Plan(ctx context.Context, f Fault, t PlanTarget) (Steps, error) {
	srv, name, err := x.server(t.Host)
	if err != nil {
		return Steps{}, err
	}
	api, err := srv.Open()
	if err != nil {
		return Steps{}, fmt.Errorf("host %s: %w", t.Host.Name, err)
	}
	defer api.Close()
	askCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	proxy, err := api.Proxy(askCtx, name)
	cancel()
	var np *targets.NoProxyError
	if errors.As(err, &np) && t.Host.Toxiproxy.At.File != "" {
		// The inventory is wrong: say where.
		p := t.Host.Toxiproxy.At
		p.Msg = fmt.Sprintf("Toxiproxy server %s at %s: %v", srv.Name, srv.BaseURL(), np)
		return Steps{}, p
	}
	if err != nil {
		return Steps{}, fmt.Errorf("host %s: Toxiproxy server %s at %s: %v", t.Host.Name, srv.Name, srv.BaseURL(), oneLine(err.Error()))
	}
	lt := t
	lt.Host.Lab = &targets.LabNode{Kind: "toxiproxy", Proxy: name}
	lp, err := f.LabPlan(lt)
	if err != nil {
		return Steps{}, err
	}
	on := " on proxy " + name + " of " + srv.Name
	// The inject steps say where the server is and how it is reached.
	at := " (" + srv.BaseURL()
	if !srv.Token.IsZero() {
		at += ", token from " + srv.Token.String()
	}
	at += ")"
	var steps Steps
	for _, s := range lp.Inject {
		if s.Op == LabCut && len(s.Peers) == 0 && (s.Direction == string(DirIn) || s.Direction == string(DirOut)) {
			// One way: a timeout toxic (timeout 0: the data stops and the
			// connection stays open) on the stream that goes that way —
			// upstream, clients to the service, for in.
			stream := "downstream"
			if s.Direction == string(DirIn) {
				stream = "upstream"
			}
			s = LabStep{Op: LabToxicAdd, Node: s.Node, Toxic: &LabToxic{Type: "timeout", Stream: stream, Toxicity: 1, Attributes: map[string]int{"timeout": 0}}}
		}
		switch {
		case s.Op == LabToxicAdd && s.Toxic != nil:
			tx := *s.Toxic
			if tx.Stream == "" {
				tx.Stream = "downstream"
			}
			tx.Name = toxicName(t.ID, tx)
			a := toxiAction{Server: &srv, Proxy: name, Toxic: &tx}
			one := func(op string) toxiAction { b := a; b.Op = op; return b }
			steps.Inject = append(steps.Inject, toxiStep("add toxic "+tx.Name+" ("+describe(tx)+")"+on+at, one(toxiAdd)))
			steps.Verify = append(steps.Verify, toxiStep("toxic "+tx.Name+" present"+on, one(toxiPresent)))
			steps.Revert = append(steps.Revert, toxiStep("remove toxic "+tx.Name+on, one(toxiRemove)))
			steps.VerifyGone = append(steps.VerifyGone, toxiStep("toxic "+tx.Name+" gone"+on, one(toxiGone)))
		case s.Op == LabCut && len(s.Peers) == 0 && (s.Direction == "" || s.Direction == string(DirBoth)):
			if !proxy.Enabled {
				return Steps{}, fmt.Errorf("host %s: proxy %q is disabled already: its revert would enable what someone else disabled", t.Host.Name, oneLine(name))
			}
			set := func(op string, on bool) toxiAction {
				return toxiAction{Op: op, Server: &srv, Proxy: name, Enabled: on}
			}
			steps.Inject = append(steps.Inject, toxiStep("disable proxy "+name+" of "+srv.Name+at, set(toxiSetEnabled, false)))
			steps.Verify = append(steps.Verify, toxiStep("proxy "+name+" of "+srv.Name+" disabled", set(toxiIsEnabled, false)))
			steps.Revert = append(steps.Revert, toxiStep("enable proxy "+name+" of "+srv.Name, set(toxiSetEnabled, true)))
			steps.VerifyGone = append(steps.VerifyGone, toxiStep("proxy "+name+" of "+srv.Name+" enabled", set(toxiIsEnabled, true)))
		default:
			return Steps{}, fmt.Errorf("host %s: %s through Toxiproxy: a proxy cannot %s (only toxics, the proxy closed, or one direction stopped)", t.Host.Name, f.Kind(), s)
		}
	}
	return steps, nil
}

// Run runs one action against the server (or starts or cancels the
// guard). A step without an action is a curl script an older gameday
// recorded: it runs on this machine as it did then.
func (x toxiproxyExecutor) Run(ctx context.Context, h targets.Host, s Step) error {
	if len(s.Action) == 0 {
		res, err := (LocalRunner{}).Run(ctx, h, s.Script)
		return scriptErr(h, s, res, err)
	}
	var a toxiAction
	if err := json.Unmarshal(s.Action, &a); err != nil {
		return fmt.Errorf("host %s: %s: %w", h.Name, s.Name, err)
	}
	var err error
	switch {
	case a.Op == toxiGuardStart && a.Guard != nil:
		err = startLocalGuard(ctx, *a.Guard)
	case a.Op == toxiGuardStop && a.Guard != nil:
		err = cancelLocalGuard(ctx, a.Guard.ID)
	case a.Server == nil:
		err = fmt.Errorf("the step names no Toxiproxy server")
	default:
		err = x.act(ctx, a)
	}
	if err != nil {
		return fmt.Errorf("host %s: %s: %w", h.Name, s.Name, err)
	}
	return nil
}

// act runs one action through the client package.
func (toxiproxyExecutor) act(ctx context.Context, a toxiAction) error {
	api, err := a.Server.Open()
	if err != nil {
		return err
	}
	defer api.Close()
	// named is the proxy as the client addresses it, without a GET first.
	named := func(c *toxiproxy.Client) *toxiproxy.Proxy { p := c.NewProxy(); p.Name = a.Proxy; return p }
	has := func() (*toxiproxy.Toxic, error) {
		p, err := api.Proxy(ctx, a.Proxy)
		if err != nil {
			return nil, err
		}
		for i, t := range p.ActiveToxics {
			if t.Name == a.Toxic.Name {
				return &p.ActiveToxics[i], nil
			}
		}
		return nil, nil
	}
	switch a.Op {
	case toxiAdd:
		t := a.Toxic
		attrs := toxiproxy.Attributes{}
		for k, v := range t.Attributes {
			attrs[k] = v
		}
		return api.Do(ctx, func(c *toxiproxy.Client) error {
			_, err := named(c).AddToxic(t.Name, t.Type, t.Stream, t.Toxicity, attrs)
			return err
		})
	case toxiRemove:
		err := api.Do(ctx, func(c *toxiproxy.Client) error { return named(c).RemoveToxic(a.Toxic.Name) })
		if targets.IsToxiproxyNotFound(err) {
			return nil // gone already (or its proxy is)
		}
		return err
	case toxiPresent:
		t, err := has()
		switch {
		case err != nil:
			return err
		case t == nil:
			return errors.New("the proxy has no such toxic")
		case t.Type != a.Toxic.Type || t.Stream != a.Toxic.Stream:
			return fmt.Errorf("the proxy's toxic is %s %s, not %s %s", t.Type, t.Stream, a.Toxic.Type, a.Toxic.Stream)
		}
		return nil
	case toxiGone:
		t, err := has()
		switch {
		case targets.IsToxiproxyNotFound(err):
			return nil // the proxy went, and its toxics with it
		case err != nil:
			return err
		case t != nil:
			return errors.New("the toxic is still on the proxy")
		}
		return nil
	case toxiSetEnabled:
		p, err := api.Proxy(ctx, a.Proxy)
		if err != nil || p.Enabled == a.Enabled {
			return err
		}
		return api.Do(ctx, func(*toxiproxy.Client) error {
			if a.Enabled {
				return p.Enable()
			}
			return p.Disable()
		})
	case toxiIsEnabled:
		p, err := api.Proxy(ctx, a.Proxy)
		if err == nil && p.Enabled != a.Enabled {
			err = fmt.Errorf("the proxy says enabled=%t", p.Enabled)
		}
		return err
	}
	return fmt.Errorf("unknown Toxiproxy action %q", a.Op)
}

// Guard is a detached `gameday guard` process on this machine that, at
// TTL, runs the reverts and verify-gone steps here and records which way
// it went.
func (x toxiproxyExecutor) Guard(g Guard) (start, cancel Step) {
	spec := localGuardSpec{ID: localGuardID(g), Host: g.Host, Executor: "toxiproxy", TTL: g.TTL, Revert: g.Revert, VerifyGone: g.VerifyGone}
	return toxiStep("start TTL guard ("+g.TTL.String()+") on this machine: gameday guard "+spec.ID, toxiAction{Op: toxiGuardStart, Guard: &spec}),
		toxiStep("cancel TTL guard on this machine: gameday guard "+spec.ID, toxiAction{Op: toxiGuardStop, Guard: &localGuardSpec{ID: spec.ID}})
}

// GuardOutcome reads that guard's marker on this machine.
func (toxiproxyExecutor) GuardOutcome(_ context.Context, _ targets.Host, g Guard) (GuardOutcome, error) {
	return localGuardOutcome(localGuardID(g))
}
