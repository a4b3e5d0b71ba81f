package runbooks

import (
	"context"
	"fmt"
	"slices"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
)

// HostResolver turns an inject step's host selectors into inventory host
// names when the step runs.
type HostResolver interface {
	ResolveHosts(ctx context.Context, selectors []string) ([]string, error)
}

// InventoryHosts resolves selectors against an inventory. Host names,
// "tag:X" and "role:X" select as targets.Inventory.Select does, with the
// roles that hold when the step runs: "role:master" and "role:replica" of
// Redis nodes are the Sentinels' view at that moment (roles.Resolver),
// since a failover moves the master.
type InventoryHosts struct {
	Inv *targets.Inventory
	// Roles resolves the live roles (nil: roles.New(Inv)).
	Roles *roles.Resolver
}

// ResolveHosts implements HostResolver: each selector's hosts in turn,
// without duplicates.
func (h InventoryHosts) ResolveHosts(ctx context.Context, selectors []string) ([]string, error) {
	r := h.Roles
	if r == nil {
		r = roles.New(h.Inv)
	}
	live := r.Resolve(ctx)
	var out []string
	for _, sel := range selectors {
		hosts, err := live.Select(sel)
		if err != nil {
			return nil, fmt.Errorf("hosts %q: %w", sel, err)
		}
		for _, host := range hosts {
			if !slices.Contains(out, host.Name) {
				out = append(out, host.Name)
			}
		}
	}
	return out, nil
}
