package roles_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
)

// rolesOf returns each host's roles, "name=r1+r2".
func rolesOf(inv *targets.Inventory) string {
	var parts []string
	for _, h := range inv.Hosts {
		r := slices.Clone(h.Roles)
		slices.Sort(r)
		parts = append(parts, h.Name+"="+strings.Join(r, "+"))
	}
	return strings.Join(parts, " ")
}

func TestLiveRolesFollowTheSentinelsAfterAFailover(t *testing.T) {
	bed := nshost.NewSentinel(t, 3, nshost.SentinelOptions{})
	inv := bed.Inventory()
	r := roles.New(inv)
	ctx := context.Background()

	live := r.Resolve(ctx)
	if len(live.Unknown) != 0 {
		t.Fatalf("unknown roles on a green deployment: %v", live.Unknown)
	}
	if got, want := rolesOf(live.Inv), "host1=master+sentinel host2=replica+sentinel host3=replica+sentinel"; got != want {
		t.Fatalf("live roles before the failover = %q, want %q", got, want)
	}

	bed.KillRedis(bed.Hosts[0])
	nu, err := bed.WaitMaster(bed.Hosts[0], 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	live = r.Resolve(ctx)
	if m, ok := live.MasterOf(nshost.SentinelService); !ok || m != nu.Name {
		t.Fatalf("MasterOf after the failover = %q, %v; want %s (unknown: %v)", m, ok, nu.Name, live.Unknown)
	}
	hosts, err := live.Select("role:master")
	if err != nil || len(hosts) != 1 || hosts[0].Name != nu.Name {
		t.Fatalf("role:master after the failover selects %v (%v), want %s", hosts, err, nu.Name)
	}
	// The dead old master is still a replica in the Sentinels' view: it
	// comes back as one.
	old, _ := live.Inv.Host("host1")
	if !slices.Contains(old.Roles, roles.Replica) || slices.Contains(old.Roles, roles.Master) {
		t.Fatalf("the old master's live roles are %v, want replica (and sentinel)", old.Roles)
	}
	// The inventory it was given is untouched.
	if got := rolesOf(inv); !strings.HasPrefix(got, "host1=master+sentinel") {
		t.Fatalf("Resolve changed the caller's inventory: %s", got)
	}
}

func TestLiveRolesRefuseWhileTheSentinelsDisagree(t *testing.T) {
	bed := nshost.NewSentinel(t, 3, nshost.SentinelOptions{})
	h1 := bed.Hosts[0]
	// Cut the master off from its peers (the test process still reaches
	// it): the two other Sentinels elect a new master, host1's keeps
	// naming itself.
	bed.Isolate(h1)
	if _, err := bed.WaitSplit(h1, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	live := roles.New(bed.Inventory()).Resolve(context.Background())
	err := live.Unknown[nshost.SentinelService]
	if !errors.Is(err, targets.ErrNoAgreedMaster) || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("with host1 cut off, the roles are not refused as disagreeing: %v (live %s)", err, rolesOf(live.Inv))
	}
	_, err = live.Select("role:master")
	if err == nil || !strings.HasPrefix(err.Error(), "role:master cannot be resolved now: the Sentinels of redis/cache disagree on the master (") {
		t.Fatalf("role:master while the Sentinels disagree: %v", err)
	}
	if strings.Count(err.Error(), "\n") > 0 {
		t.Fatalf("the refusal is not one sentence: %q", err)
	}
	// Selecting by name still works, and nobody carries a Redis role.
	if hs, err := live.Select("host1"); err != nil || len(hs) != 1 {
		t.Fatalf("host1 by name while roles are unknown: %v, %v", hs, err)
	}
	if got := rolesOf(live.Inv); got != "host1=sentinel host2=sentinel host3=sentinel" {
		t.Fatalf("roles while unknown = %q, want only sentinel", got)
	}
}
