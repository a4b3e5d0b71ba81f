package runbooks

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// HostResolver turns an inject step's host selectors into inventory host
// names when the step runs. masters maps each sentinel.master target to the
// master address Sentinel agrees on at that moment (empty before the first
// reading; "" while the Sentinels agree on none).
type HostResolver interface {
	ResolveHosts(ctx context.Context, selectors []string, masters map[string]string) ([]string, error)
}

// InventoryHosts resolves selectors against an inventory. Host names,
// "tag:X" and "role:X" select as targets.Inventory.Select does, except
// "role:master" and "role:replica" on Redis nodes: the inventory's roles
// were true when it was written, but a failover moves the master, so these
// follow the master Sentinel reports now. For a lab inventory the lab's
// control API says which address stands for which node.
type InventoryHosts struct {
	Inv *targets.Inventory
}

// Dynamic roles, resolved from Sentinel's view rather than the inventory.
const (
	roleMaster  = "role:master"
	roleReplica = "role:replica"
)

// ResolveHosts implements HostResolver.
func (h InventoryHosts) ResolveHosts(ctx context.Context, selectors []string, masters map[string]string) ([]string, error) {
	var out []string
	for _, sel := range selectors {
		var names []string
		var err error
		if (sel == roleMaster || sel == roleReplica) && len(masters) > 0 {
			names, err = h.redisRole(ctx, sel, masters)
		} else {
			var hosts []targets.Host
			hosts, err = h.Inv.Select(sel)
			for _, host := range hosts {
				names = append(names, host.Name)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("hosts %q: %w", sel, err)
		}
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// redisRole returns the Redis nodes that are master (or replicas) now.
func (h InventoryHosts) redisRole(ctx context.Context, sel string, masters map[string]string) ([]string, error) {
	var out []string
	for _, svc := range h.Inv.Services.Redis {
		master, ok := masterOf(svc, masters)
		if !ok {
			continue
		}
		if master == "" {
			// Guessing from the inventory's roles now could hit a replica.
			return nil, fmt.Errorf("service %s: the Sentinels agree on no master right now", svc.Name)
		}
		nodes := h.redisNodes(svc)
		host, err := h.hostAt(ctx, nodes, master)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		for _, n := range nodes {
			if (sel == roleMaster) == (n.Name == host) {
				out = append(out, n.Name)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Redis node is %s now", strings.TrimPrefix(sel, "role:"))
	}
	return out, nil
}

// masterOf finds the master reported for svc: readings name the service,
// possibly with a suffix; a single deployment takes the single master.
func masterOf(svc targets.Redis, masters map[string]string) (string, bool) {
	for target, addr := range masters {
		if target == svc.Name || strings.HasPrefix(target, svc.Name+"/") || strings.HasPrefix(target, svc.Name+" ") {
			return addr, true
		}
	}
	if len(masters) == 1 {
		for _, addr := range masters {
			return addr, true
		}
	}
	return "", false
}

// redisNodes returns the hosts of svc that run Redis itself (not only a
// Sentinel): those the inventory gives a master or replica role, or a lab
// node of kind redis.
func (h InventoryHosts) redisNodes(svc targets.Redis) []targets.Host {
	var out []targets.Host
	for _, name := range svc.Hosts {
		host, ok := h.Inv.Host(name)
		if !ok {
			continue
		}
		if slices.Contains(host.Roles, "master") || slices.Contains(host.Roles, "replica") ||
			(host.Lab != nil && host.Lab.Kind == "redis") {
			out = append(out, host)
		}
	}
	return out
}

// hostAt returns the node whose address is addr ("ip:port", as Sentinel
// reports it): a lab node by the address its clients use (its proxy) or
// its own listen address, any other host by its IP when only one node has
// that IP.
func (h InventoryHosts) hostAt(ctx context.Context, nodes []targets.Host, addr string) (string, error) {
	var clientAddrs map[string]string
	for _, n := range nodes {
		if n.Lab == nil {
			continue
		}
		if n.Lab.Listen == addr {
			return n.Name, nil
		}
		if clientAddrs == nil {
			var err error
			if clientAddrs, err = labClientAddrs(ctx, h.Inv); err != nil {
				return "", err
			}
		}
		if clientAddrs[n.Name] == addr {
			return n.Name, nil
		}
	}
	ip, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("Sentinel's master address %q is not host:port", addr)
	}
	var match []string
	for _, n := range nodes {
		if n.Address == ip {
			match = append(match, n.Name)
		}
	}
	if len(match) == 1 {
		return match[0], nil
	}
	return "", fmt.Errorf("the master Sentinel reports (%s) matches %d Redis hosts of the inventory; cannot tell which to target", addr, len(match))
}

// labClientAddrs asks the lab which address each node's clients use (the
// lab's Sentinels announce its Redis nodes by those), by node name.
func labClientAddrs(ctx context.Context, inv *targets.Inventory) (map[string]string, error) {
	if inv.Lab == nil || inv.Lab.Control == "" {
		return map[string]string{}, nil // not a running lab: match by address only
	}
	nodes, err := labapi.NewClient(inv.Lab.Control, inv.Lab.Dir).Nodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("ask the lab for its nodes' addresses: %w", err)
	}
	out := make(map[string]string, len(nodes))
	for _, n := range nodes {
		out[n.Name] = n.ProxyAddr
	}
	return out, nil
}
