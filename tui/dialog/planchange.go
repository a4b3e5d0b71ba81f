package dialog

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/inject"
)

// planChange says in words how now, the plan ArmPlan made again, differs
// from shown, the plan the operator confirmed: the first of hosts,
// blast radius, TTL and each host's steps that differs. ArmPlan also
// compares what the dialog does not show (the hosts' inventory settings,
// where an executor reaches them); when only that differs, it says so.
func planChange(shown, now inject.Preview) string {
	switch {
	case !slices.Equal(shown.Request.Hosts, now.Request.Hosts):
		return fmt.Sprintf("the hosts are now %s, not %s", strings.Join(now.Request.Hosts, ","), strings.Join(shown.Request.Hosts, ","))
	case shown.BlastRadius != now.BlastRadius:
		return "the blast radius is now: " + now.BlastRadius
	case shown.Request.TTL != now.Request.TTL:
		return fmt.Sprintf("the ttl is now %s, not %s", now.Request.TTL, shown.Request.TTL)
	}
	for i, h := range now.Hosts {
		if i >= len(shown.Hosts) || !reflect.DeepEqual(h, shown.Hosts[i]) {
			return "the steps on " + h.Host + " changed"
		}
	}
	return "the hosts' settings or how gameday reaches them changed"
}
