// Package roles resolves the roles a cluster decides — a Redis node's
// master or replica — from the cluster at the moment they are needed.
// After one failover the inventory's "master" is a replica; anything that
// selects, labels or counts hosts by such a role (CLI selectors, the TUI's
// host picker, the blast radius, runbooks) asks a Resolver instead of
// reading the inventory.
package roles

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// The roles the Sentinels decide.
const (
	Master  = "master"
	Replica = "replica"
)

// DefaultTimeout bounds the Sentinels' answers when Resolver.Timeout is 0.
const DefaultTimeout = 2 * time.Second

// Resolver asks an inventory's Sentinels which node is master and which
// are replicas, and maps their addresses to inventory hosts.
type Resolver struct {
	Inv *targets.Inventory
	// Timeout bounds one resolution (default DefaultTimeout).
	Timeout time.Duration
	// Ask asks a deployment's Sentinels (nil: targets.AskSentinels); a
	// scripted world stands in for real Sentinels here.
	Ask func(ctx context.Context, svc targets.Redis) targets.SentinelView
	// LabAddrs returns, by lab node name, the address the lab's clients
	// (and Sentinels) use for each node; nil asks the lab's control API.
	LabAddrs func(ctx context.Context) (map[string]string, error)
}

// New returns a Resolver for inv.
func New(inv *targets.Inventory) *Resolver { return &Resolver{Inv: inv} }

// Live is the inventory with the roles that hold at At.
type Live struct {
	// Inv is a copy of the inventory whose Redis hosts carry the master
	// and replica roles the Sentinels give them now, and only those.
	Inv *targets.Inventory
	At  time.Time
	// Masters maps each Redis service to its master's host ("" when
	// Unknown names the service).
	Masters map[string]string
	// Unknown says, per Redis service, why its roles could not be
	// resolved: the Sentinels disagree, too few answer, or the master is
	// no host of the inventory. Its hosts then carry neither role.
	Unknown map[string]error
}

// Resolve asks every Redis service's Sentinels (in parallel, within the
// timeout) and returns the live inventory. It never fails as a whole: a
// service it cannot resolve is in Live.Unknown.
func (r *Resolver) Resolve(ctx context.Context) Live {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	inv := r.Inv
	if inv == nil {
		inv = &targets.Inventory{}
	}
	live := Live{Inv: copyInventory(inv), At: time.Now(), Masters: map[string]string{}, Unknown: map[string]error{}}
	ask := r.Ask
	if ask == nil {
		ask = targets.AskSentinels
	}
	views := make([]targets.SentinelView, len(inv.Services.Redis))
	var wg sync.WaitGroup
	for i, svc := range inv.Services.Redis {
		wg.Go(func() {
			views[i] = ask(ctx, svc)
		})
	}
	wg.Wait()
	book := &addrBook{r: r}
	for i, svc := range inv.Services.Redis {
		hosts := candidates(live.Inv, svc)
		for _, h := range hosts {
			h.Roles = slices.DeleteFunc(h.Roles, func(role string) bool { return role == Master || role == Replica })
		}
		master, replicas, err := resolveService(ctx, book, hosts, views[i])
		if err != nil {
			live.Unknown[svc.Name] = err
			live.Masters[svc.Name] = ""
			continue
		}
		live.Masters[svc.Name] = master.Name
		master.Roles = append(master.Roles, Master)
		for _, h := range replicas {
			if !slices.Contains(h.Roles, Replica) {
				h.Roles = append(h.Roles, Replica)
			}
		}
	}
	return live
}

// resolveService maps the master and replicas the Sentinels agree on to
// hosts among candidates.
func resolveService(ctx context.Context, book *addrBook, hosts []*targets.Host, view targets.SentinelView) (*targets.Host, []*targets.Host, error) {
	addr, err := view.Agreed()
	if err != nil {
		return nil, nil, err
	}
	master, err := book.hostAt(ctx, hosts, addr)
	if err != nil {
		return nil, nil, fmt.Errorf("redis/%s: the master the Sentinels name, %s, %w", view.Service, addr, err)
	}
	var replicas []*targets.Host
	for _, a := range view.ReplicasOf(addr) {
		// A replica outside the inventory is not a host gameday can
		// target; it is no reason to refuse the others.
		if h, err := book.hostAt(ctx, hosts, a); err == nil && h != master {
			replicas = append(replicas, h)
		}
	}
	return master, replicas, nil
}

// candidates are the hosts a Redis service's roles may fall on: the hosts
// it lists, or every host when it lists none.
func candidates(inv *targets.Inventory, svc targets.Redis) []*targets.Host {
	var out []*targets.Host
	for i := range inv.Hosts {
		if len(svc.Hosts) == 0 || slices.Contains(svc.Hosts, inv.Hosts[i].Name) {
			out = append(out, &inv.Hosts[i])
		}
	}
	return out
}

// copyInventory copies inv deeply enough that changing a host's roles
// leaves inv alone.
func copyInventory(inv *targets.Inventory) *targets.Inventory {
	c := *inv
	c.Hosts = slices.Clone(inv.Hosts)
	for i := range c.Hosts {
		c.Hosts[i].Roles = slices.Clone(c.Hosts[i].Roles)
	}
	return &c
}

// addrBook maps the "ip:port" addresses Sentinels report to hosts: a lab
// node by its own listen address or the address its clients use (asked of
// the lab once, when first needed), any other host by its IP address.
type addrBook struct {
	r   *Resolver
	lab map[string]string // lab node name → client address
	err error
	got bool
}

func (b *addrBook) hostAt(ctx context.Context, hosts []*targets.Host, addr string) (*targets.Host, error) {
	ip, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("is not host:port")
	}
	var match []*targets.Host
	for _, h := range hosts {
		if h.Lab != nil {
			if h.Lab.Listen == addr {
				return h, nil
			}
			clients, err := b.labAddrs(ctx)
			if err != nil {
				return nil, err
			}
			if clients[h.Name] == addr {
				return h, nil
			}
			continue
		}
		if sameIP(ctx, h.Address, ip) {
			match = append(match, h)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return nil, fmt.Errorf("is no host of the inventory (none has address %s)", ip)
	}
	names := make([]string, len(match))
	for i, h := range match {
		names[i] = h.Name
	}
	return nil, fmt.Errorf("matches %d hosts of the inventory (%s); cannot tell which it is", len(match), strings.Join(names, ", "))
}

func (b *addrBook) labAddrs(ctx context.Context) (map[string]string, error) {
	if b.got {
		return b.lab, b.err
	}
	b.got = true
	if b.r.LabAddrs != nil {
		b.lab, b.err = b.r.LabAddrs(ctx)
		return b.lab, b.err
	}
	inv := b.r.Inv
	if inv == nil || inv.Lab == nil || inv.Lab.Control == "" {
		b.lab = map[string]string{} // not a running lab: listen addresses only
		return b.lab, nil
	}
	nodes, err := labapi.NewClient(inv.Lab.Control, inv.Lab.Dir).Nodes(ctx)
	if err != nil {
		b.err = fmt.Errorf("cannot ask the lab which node has which address: %w", err)
		return nil, b.err
	}
	b.lab = make(map[string]string, len(nodes))
	for _, n := range nodes {
		b.lab[n.Name] = n.ProxyAddr
	}
	return b.lab, nil
}

// sameIP tells whether a host's address (an IP or a name) is ip.
func sameIP(ctx context.Context, address, ip string) bool {
	if a := net.ParseIP(address); a != nil {
		return a.Equal(net.ParseIP(ip))
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, address)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if net.ParseIP(a).Equal(net.ParseIP(ip)) {
			return true
		}
	}
	return false
}

// Select is targets.Inventory.Select on the live roles. A selector that
// names role:master or role:replica is refused, in one sentence, while a
// Redis service's roles are unknown: guessing could hit the wrong node.
func (l Live) Select(selector string) ([]targets.Host, error) {
	for _, part := range strings.Split(selector, ",") {
		part = strings.TrimSpace(part)
		if !Dynamic(part) {
			continue
		}
		for _, svc := range l.Inv.Services.Redis {
			if err, ok := l.Unknown[svc.Name]; ok {
				return nil, fmt.Errorf("%s cannot be resolved now: %w", part, err)
			}
		}
	}
	return l.Inv.Select(selector)
}

// MasterOf returns the name of the host that is master of a Redis service
// now, and whether it is known.
func (l Live) MasterOf(service string) (string, bool) {
	m, ok := l.Masters[service]
	return m, ok && m != ""
}

// Dynamic tells whether one selector part names a role the Sentinels
// decide ("role:master", "role:replica"): it is resolved when used, so an
// inventory may have no host with that role when it is written.
func Dynamic(part string) bool {
	return part == "role:"+Master || part == "role:"+Replica
}
