package inject

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
)

// serviceGroup is a set of hosts that must keep a majority up: a service's
// hosts, and within it the hosts of one role (all Sentinels, all brokers).
type serviceGroup struct {
	name  string
	hosts []string
}

func serviceGroups(inv *targets.Inventory) []serviceGroup {
	var gs []serviceGroup
	add := func(typ, name string, hosts []string) {
		if len(hosts) == 0 {
			return
		}
		gs = append(gs, serviceGroup{name: fmt.Sprintf("%s service %q", typ, name), hosts: hosts})
		byRole := map[string][]string{}
		for _, hn := range hosts {
			h, ok := inv.Host(hn)
			if !ok {
				continue
			}
			roles := append([]string(nil), h.Roles...)
			if h.Lab != nil && h.Lab.Kind != "" {
				roles = append(roles, h.Lab.Kind)
			}
			slices.Sort(roles)
			for _, r := range slices.Compact(roles) {
				byRole[r] = append(byRole[r], hn)
			}
		}
		for _, r := range slices.Sorted(maps.Keys(byRole)) {
			// A role held by one host (the current master) is not a
			// quorum group: taking it down is what failover is for.
			if n := len(byRole[r]); n >= 2 && n < len(hosts) {
				gs = append(gs, serviceGroup{name: fmt.Sprintf("%s nodes of %s service %q", r, typ, name), hosts: byRole[r]})
			}
		}
	}
	inv.Services.EachClustered(add)
	return gs
}

// blastRadius returns a one-line verdict and whether the fault takes down a
// majority (half + 1) of some service's hosts or of one role within it. A
// Redis master it takes down is named first: the roles in inv are the
// ones that hold now when the caller resolved them (targets/roles).
func blastRadius(inv *targets.Inventory, f Fault, hosts []string) (string, bool) {
	if !f.TakesDown() {
		return fmt.Sprintf("%s leaves its hosts in service", f.Kind()), false
	}
	verdict, majority := countDown(inv, hosts)
	if m := mastersDown(inv, hosts); m != "" {
		verdict = m + "; " + strings.TrimPrefix(verdict, "takes down ")
	}
	return verdict, majority
}

// rolesUnknown says which Redis services among hosts have no master the
// Sentinels agree on now, so the verdict cannot name one: "; the master of
// redis service "cache" is unknown now (…)". Empty when all are known.
func rolesUnknown(live roles.Live, hosts []string) string {
	var out string
	for _, s := range live.Inv.Services.Redis {
		err := live.Unknown[s.Name]
		if err == nil {
			continue
		}
		for _, hn := range hosts {
			if len(s.Hosts) == 0 || slices.Contains(s.Hosts, hn) {
				out += fmt.Sprintf("; the master of redis service %q is unknown now (%v)", s.Name, err)
				break
			}
		}
	}
	return out
}

// mastersDown names the Redis masters among hosts: "takes down the master
// of redis service "cache" (redis-2: expect a failover)".
func mastersDown(inv *targets.Inventory, hosts []string) string {
	var parts []string
	for _, s := range inv.Services.Redis {
		for _, hn := range hosts {
			h, ok := inv.Host(hn)
			if ok && slices.Contains(h.Roles, "master") && (len(s.Hosts) == 0 || slices.Contains(s.Hosts, hn)) {
				parts = append(parts, fmt.Sprintf("the master of redis service %q (%s: expect a failover)", s.Name, hn))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "takes down " + strings.Join(parts, " and ")
}

// countDown judges hosts against every service group.
func countDown(inv *targets.Inventory, hosts []string) (string, bool) {
	worst, worstN, worstOf := "", 0, 0
	for _, g := range serviceGroups(inv) {
		n := 0
		for _, h := range g.hosts {
			if slices.Contains(hosts, h) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if n >= len(g.hosts)/2+1 {
			return fmt.Sprintf("takes down %d of %d %s: a majority", n, len(g.hosts), g.name), true
		}
		if n*worstOf > worstN*len(g.hosts) || worst == "" {
			worst, worstN, worstOf = g.name, n, len(g.hosts)
		}
	}
	if worst == "" {
		return "takes down hosts that no service lists", false
	}
	return fmt.Sprintf("takes down %d of %d %s: a minority", worstN, worstOf, worst), false
}
