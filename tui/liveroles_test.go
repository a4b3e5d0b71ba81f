package tui

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/timeline"
)

// failedOver returns three real Redis + Sentinel namespace hosts whose
// first, the inventory's master, died, and the host the Sentinels
// promoted.
func failedOver(t *testing.T) (*targets.Inventory, *nshost.Host) {
	t.Helper()
	bed := nshost.NewSentinel(t, 3, nshost.SentinelOptions{})
	inv := bed.Inventory() // host1 master, as written
	bed.KillRedis(bed.Hosts[0])
	nu, err := bed.WaitMaster(bed.Hosts[0], 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return inv, nu
}

// On real Redis + Sentinel namespace hosts, after the master died and the
// Sentinels promoted another node, the picker labels the new master
// role:master and its role:master filter lists it alone (issue 11.1).
func TestPickerShowsTheLiveMasterAfterAFailover(t *testing.T) {
	inv, nu := failedOver(t)
	rec := timeline.NewRecorder(timeline.WithClock(fixedNow))
	t.Cleanup(rec.Close)
	sub := rec.Subscribe(4096)
	m := New(Options{Inventory: inv, Faults: newFakeFaults(rec), Kinds: fixtureKinds(), Feed: subFeed{sub},
		Notes: recNotes{rec}, Now: fixedNow, Roles: roles.New(inv).Resolve})
	sc := start(t, m, 120, 36)
	waitFor(t, sc, "nothing armed")
	steps(t, sc, openPicker, step{until: []string{"as the Sentinels say"}})
	rowOf := func(v, host string) string {
		return regexp.MustCompile(`\[ \] ` + host + ` +[0-9.]+ +([^║]*?) *║`).FindStringSubmatch(v)[1]
	}
	steps(t, sc, step{keys: []string{"/", "r", "o", "l", "e", ":", "m", "a", "s", "t", "e", "r", "enter"}, until: []string{"filter /role:master"}})
	v := finalView(t, sc)
	if !strings.Contains(v, "[ ] "+nu.Name) || strings.Count(v, "[ ] host") != 1 {
		t.Fatalf("/role:master after the failover to %s lists:\n%s", nu.Name, v)
	}
	if got := rowOf(v, nu.Name); !strings.Contains(got, "role:master") {
		t.Fatalf("the new master %s is labelled %q", nu.Name, got)
	}
}

// Before the live roles arrive the picker shows no master or replica
// label (the inventory's may be stale); when they do, the labels follow.
func TestPickerHidesInventoryRolesUntilTheLiveOnesArrive(t *testing.T) {
	f := newFixture(t, false)
	inv := f.m.opts.Inventory
	inv.Hosts[0].Roles = []string{"redis", "master"} // as written, before a failover
	inv.Hosts[1].Roles = []string{"redis", "replica"}
	inv.Services.Redis = []targets.Redis{{Name: "lab-redis", Hosts: []string{"redis-1", "redis-2", "redis-3"}}}
	release := make(chan struct{})
	f.m.opts.Roles = func(ctx context.Context) roles.Live {
		<-release
		live := roles.Live{Inv: &targets.Inventory{Hosts: slices.Clone(inv.Hosts), Services: inv.Services}, At: t0}
		live.Inv.Hosts[0].Roles = []string{"redis", "replica"}
		live.Inv.Hosts[1].Roles = []string{"redis", "master"}
		return live
	}
	sc := start(t, f.m, 120, 36)
	steps(t, sc, openPicker, step{until: []string{"roles: asking the Sentinels"}})
	if bytes.Contains(sc.seen.Bytes(), []byte("role:master")) {
		t.Fatal("the picker showed the inventory's stale role:master before the Sentinels answered")
	}
	close(release)
	steps(t, sc, step{until: []string{"as the Sentinels say at 09:30:00"}})
	v := finalView(t, sc)
	if !regexp.MustCompile(`\[ \] redis-2 +127\.0\.0\.1:16380 +role:redis role:master`).MatchString(v) {
		t.Fatalf("redis-2 is not labelled master after the live roles came:\n%s", v)
	}
	if inv.Hosts[1].Roles[1] != "replica" {
		t.Fatal("the picker relabelled the inventory itself")
	}
}

// On real Redis + Sentinel namespace hosts, after a failover, the arming
// confirmation of a session's fault manager names the node the Sentinels
// promoted as the master it takes down, and the old master as none
// (issue 11.1: it said "1 of 2 replica nodes … a minority").
func TestConfirmNamesTheLiveMasterAfterAFailover(t *testing.T) {
	inv, nu := failedOver(t)
	s, err := session.Open(session.Config{Source: "tui", Targets: inv, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close("test over") })
	a := facilitator(t, s)
	confirm := func(host string) string {
		m := New(Options{Inventory: inv, Kinds: inject.Kinds(), Feed: a, Faults: a, Notes: a, Seat: a,
			Roles: roles.New(inv).Resolve})
		sc := start(t, m, 120, 36)
		steps(t, sc, step{keys: []string{"down", "down"}, until: []string{"> partition"}}, openPicker,
			step{until: []string{"as the Sentinels say"}},
			step{keys: append(strings.Split("/"+host, ""), "enter"), until: []string{"filter /" + host}},
			step{keys: []string{"space"}, until: []string{"1 of 3 hosts selected"}},
			openForm, openConfirm)
		return strings.Join(strings.Fields(strings.NewReplacer("│", " ", "║", " ", "↵", " ").Replace(finalView(t, sc))), " ")
	}
	v := confirm(nu.Name)
	if want := `blast radius: takes down the master of redis service "cache" (` + nu.Name + `: expect a failover)`; !strings.Contains(v, want) {
		t.Errorf("the confirmation for the new master %s lacks %q:\n%s", nu.Name, want, v)
	}
	if v := confirm("host1"); !strings.Contains(v, `blast radius: takes down 1 of 2 replica nodes of redis service "cache"`) || strings.Contains(v, "the master of") {
		t.Errorf("the confirmation for the old master, a replica now:\n%s", v)
	}
}
