package inject_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
)

// guardSleep is what a guard with a 61 s TTL runs while it waits: a TTL no
// other test uses, so its sleep is recognisable among a host's processes.
const (
	guardTTL   = 61 * time.Second
	guardSleep = "sleep 61"
)

// runs tells whether a process with exactly this command line runs in
// host h's network namespace.
func runs(bed *nshost.Bed, h *nshost.Host, cmdline string) bool {
	return slices.Contains(bed.Cmdlines(h), cmdline)
}

// TestFaultSafetyOverSSH arms faults over the real SSH path on one bed of
// namespace hosts and checks what gameday says against what the hosts do.
func TestFaultSafetyOverSSH(t *testing.T) {
	bed := nshost.New(t, 3, nshost.Options{Redis: true})
	h1, h2, h3 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2]
	inv := bed.Inventory()
	m := newManager(t, inv)
	ctx := context.Background()

	// A partition from everyone keeps gameday's own SSH: the arm verifies,
	// the revert reverts, the peers are cut both ways, and nothing of the
	// guard outlives the revert (the cancel kills its sleep under dash).
	t.Run("full partition spares gameday's connection", func(t *testing.T) {
		before := bed.Snapshot(h1)
		req := inject.Request{Kind: "partition", Hosts: []string{"host1"}, TTL: guardTTL}
		pv, err := m.Preview(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want := "all traffic but loopback and gameday's SSH from " + bed.RunnerAddr + " to port 22"
		if plan := strings.Join(pv.Hosts[0].Inject, "\n"); !strings.Contains(plan, want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
		a, err := m.Arm(ctx, req)
		if err != nil {
			t.Fatalf("Arm a full partition over SSH: %v", err)
		}
		if a.State != inject.StateArmed {
			t.Errorf("state %s, want armed", a.State)
		}
		for _, f := range []struct{ from, to *nshost.Host }{{h2, h1}, {h1, h2}, {h3, h1}} {
			if redisPings(bed, f.from, f.to) {
				t.Errorf("armed: %s still reaches %s's Redis", f.from.Name, f.to.Name)
			}
		}
		for _, f := range []struct{ from, to *nshost.Host }{{h2, h1}, {h1, h2}} {
			if udpArrives(t, bed, f.from, f.to) {
				t.Errorf("armed: a datagram %s -> %s still arrives", f.from.Name, f.to.Name)
			}
		}
		// A new connection from gameday's address still gets in.
		probe := sshx.New(inv, sshx.Config{Timeout: 5 * time.Second})
		defer probe.Close()
		if _, err := probe.Run(ctx, inv.Hosts[0], "true"); err != nil {
			t.Errorf("armed: a new SSH connection from gameday's address fails: %v", err)
		}
		if !runs(bed, h1, guardSleep) {
			t.Fatalf("no guard waits on host1 (no %q among %q)", guardSleep, bed.Cmdlines(h1))
		}
		if _, err := m.Revert(ctx, a.ID); err != nil {
			t.Fatalf("Revert: %v", err)
		}
		if after := bed.Snapshot(h1); after != before {
			t.Errorf("host1 changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if runs(bed, h1, guardSleep) {
			t.Errorf("the guard's %q outlived the revert", guardSleep)
		}
		if !redisPings(bed, h2, h1) || !redisPings(bed, h1, h2) {
			t.Errorf("reverted, yet host1 and host2 do not reach each other")
		}
	})

	// A filter table that held only an INPUT chain is left holding only
	// that: the OUTPUT base chain iptables-nft adds goes with the fault.
	t.Run("nft ruleset exactly as before", func(t *testing.T) {
		bed.Exec(h3, "nft", "add", "table", "ip", "filter")
		bed.Exec(h3, "nft", "add", "chain", "ip", "filter", "INPUT", "{ type filter hook input priority 0 ; policy accept ; }")
		t.Cleanup(func() { bed.TryExec(h3, "nft", "delete", "table", "ip", "filter") })
		for _, params := range []map[string]string{{"peers": "host2", "direction": "both"}, {}} {
			before := bed.Snapshot(h3)
			a, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{"host3"}, Params: params, TTL: time.Minute})
			if err != nil {
				t.Fatalf("Arm %v: %v", params, err)
			}
			if !strings.Contains(bed.Exec(h3, "nft", "list", "chain", "ip", "filter", "OUTPUT"), "GAMEDAY") {
				t.Fatalf("armed %v, yet no OUTPUT chain jumps to gameday's: the test proves nothing", params)
			}
			if _, err := m.Revert(ctx, a.ID); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			if after := bed.Snapshot(h3); after != before {
				t.Errorf("partition %v changed host3:\nbefore:\n%s\nafter:\n%s", params, before, after)
			}
		}
	})

	// A guard whose revert cannot run records why, and the fault stays in
	// the ledger as possibly in place.
	t.Run("expired, revert failed", func(t *testing.T) {
		dir := "/run/gdfill"
		for _, argv := range [][]string{{"mkdir", "-p", dir}, {"mount", "-t", "tmpfs", "-o", "size=8m", "gdfill", dir}} {
			if out, err := bed.ExecHost(h2, argv...); err != nil {
				t.Fatalf("%v on host2: %v: %s", argv, err, out)
			}
		}
		t.Cleanup(func() { bed.ExecHost(h2, "umount", dir) })
		before := bed.Snapshot(h2)
		a, err := m.Arm(ctx, inject.Request{Kind: "disk-fill", Hosts: []string{"host2"}, Params: map[string]string{"path": dir, "free": "1MiB"}, TTL: 2 * time.Second})
		if err != nil {
			t.Fatalf("Arm disk-fill: %v", err)
		}
		// The filesystem turns read-only: the guard's rm cannot run.
		if out, err := bed.ExecHost(h2, "mount", "-o", "remount,ro", dir); err != nil {
			t.Fatalf("remount ro: %v: %s", err, out)
		}
		time.Sleep(time.Until(a.Deadline) + time.Second)
		var got inject.Armed
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if err := m.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			got = findFault(t, m, a.ID)
			if got.State != inject.StateArmed {
				break
			}
		}
		if got.State != inject.StateExpiredFailed || !strings.Contains(got.Error, "Read-only file system") {
			t.Fatalf("after the guard failed: state %q, error %q; want %q naming the read-only filesystem", got.State, got.Error, inject.StateExpiredFailed)
		}
		if active, _ := m.List(true); !slices.ContainsFunc(active, func(x inject.Armed) bool { return x.ID == a.ID }) {
			t.Errorf("the fault whose guard failed is not listed as possibly in place")
		}
		if out, err := bed.ExecHost(h2, "mount", "-o", "remount,rw", dir); err != nil {
			t.Fatalf("remount rw: %v: %s", err, out)
		}
		if out, err := m.RevertAll(ctx); err != nil || len(out) != 1 || out[0].State != inject.StateReverted {
			t.Fatalf("revert --all after the filesystem recovered: %+v, %v", out, err)
		}
		if after := bed.Snapshot(h2); after != before {
			t.Errorf("host2 changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	// gameday killed with a full partition in place: the guard on the
	// host takes it down at the TTL, and `gameday faults` shows the
	// deadline until then and "expired" after.
	t.Run("guard fires after gameday is killed", func(t *testing.T) {
		const ttl = 6 * time.Second
		state := t.TempDir()
		g := &gamedayCLI{t: t, bin: buildGameday(t), env: append(os.Environ(), "XDG_STATE_HOME="+state)}
		invPath := bed.WriteInventory()
		before := bed.Snapshot(h1)
		start := time.Now()
		// Crash point 3: after the ledger entry, the guard and the inject
		// step, before the verify.
		killed, out, _ := g.run(3, "inject", "partition", "--host", "host1", "--ttl", ttl.String(), "-i", invPath)
		if !killed || !hasGamedayRules(bed, h1) {
			t.Fatalf("gameday was not killed with the partition in place (killed %v):\n%s", killed, out)
		}
		if redisPings(bed, h2, h1) {
			t.Errorf("host2 reaches host1 while the partition is in place")
		}
		seen := 0
		for hasGamedayRules(bed, h1) && time.Since(start) < ttl+5*time.Second {
			_, out, err := g.run(0, "faults", "-i", invPath)
			if err != nil {
				t.Fatalf("gameday faults: %v\n%s", err, out)
			}
			if hasGamedayRules(bed, h1) {
				if left := ttlLeft(t, out); left == "-" || left == "" {
					t.Errorf("gameday faults shows no deadline for the fault in place:\n%s", out)
				}
				seen++
			}
			time.Sleep(300 * time.Millisecond)
		}
		if hasGamedayRules(bed, h1) {
			t.Fatalf("the partition is still in place %s after a %s TTL", time.Since(start).Round(time.Second), ttl)
		}
		if seen < 2 {
			t.Errorf("gameday faults was read only %d times while the fault was in place", seen)
		}
		_, out, err := g.run(0, "faults", "--all", "-i", invPath)
		if err != nil || !strings.Contains(out, string(inject.StateExpired)) || strings.Contains(out, "revert failed") {
			t.Errorf("gameday faults --all after the guard fired (%v):\n%s\nwant the fault expired", err, out)
		}
		if after := bed.Snapshot(h1); after != before {
			t.Errorf("host1 changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if !redisPings(bed, h2, h1) {
			t.Errorf("host2 cannot reach host1 after the guard fired")
		}
	})
}

// ttlLeft reads the TTL LEFT column of the first fault `gameday faults`
// lists.
func ttlLeft(t *testing.T, out string) string {
	t.Helper()
	ls := strings.Split(strings.TrimSpace(out), "\n")
	if len(ls) < 2 {
		return ""
	}
	col := strings.Index(ls[0], "TTL LEFT")
	if col < 0 || col >= len(ls[1]) {
		t.Fatalf("no TTL LEFT column in:\n%s", out)
	}
	f := strings.Fields(ls[1][col:])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// findFault returns fault id as m lists it.
func findFault(t *testing.T, m *inject.Manager, id string) inject.Armed {
	t.Helper()
	all, err := m.List(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no fault %s in the ledger", id)
	return inject.Armed{}
}
