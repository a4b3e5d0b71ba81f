package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
)

// dryRunKillMaster runs `gameday inject kill --host role:master --dry-run`
// and returns the hosts the plan is for and the blast-radius line.
func dryRunKillMaster(t *testing.T, inv string) (hosts []string, blast string) {
	t.Helper()
	ios, _, out, errOut := testStreams()
	if code := run([]string{"inject", "kill", "--host", "role:master", "-p", "unit=redis-server", "--dry-run", "-i", inv}, ios); code != 0 {
		t.Fatalf("dry run exit %d: %s", code, errOut)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if h, ok := strings.CutPrefix(line, "== host "); ok {
			hosts = append(hosts, strings.SplitN(h, ",", 2)[0])
		}
		if b, ok := strings.CutPrefix(line, "blast radius: "); ok {
			blast = b
		}
	}
	return hosts, blast
}

// After a failover, role:master on the command line is the node the
// Sentinels promoted, not the inventory's master, and the blast radius
// names it as the master (issue 11.1).
func TestInjectRoleMasterFollowsAFailover(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	bed := nshost.NewSentinel(t, 3, nshost.SentinelOptions{})
	inv := bed.WriteInventory() // host1 master, as written

	hosts, blast := dryRunKillMaster(t, inv)
	if strings.Join(hosts, ",") != "host1" || !strings.HasPrefix(blast, `takes down the master of redis service "cache" (host1: expect a failover)`) {
		t.Fatalf("before the failover: plan for %v, blast radius %q; want host1 named master", hosts, blast)
	}
	bed.KillRedis(bed.Hosts[0])
	nu, err := bed.WaitMaster(bed.Hosts[0], 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	hosts, blast = dryRunKillMaster(t, inv)
	if strings.Join(hosts, ",") != nu.Name {
		t.Fatalf("after the failover to %s, role:master plans for %v", nu.Name, hosts)
	}
	want := `takes down the master of redis service "cache" (` + nu.Name + `: expect a failover); 1 of 3 redis service "cache": a minority`
	if blast != want {
		t.Fatalf("after the failover the blast radius is %q, want %q", blast, want)
	}
	// A replica by name is not called the master.
	ios, _, out, errOut := testStreams()
	if code := run([]string{"inject", "kill", "--host", "host1", "-p", "unit=redis-server", "--dry-run", "-i", inv}, ios); code != 0 {
		t.Fatalf("dry run on host1: exit %d: %s", code, errOut)
	}
	if strings.Contains(out.String(), "the master of") {
		t.Fatalf("the old master, now a replica, is called the master:\n%s", out)
	}
}

// While the Sentinels disagree, role:master is refused in one sentence and
// nothing is planned (issue 11.1).
func TestInjectRoleMasterRefusedWhileSentinelsDisagree(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	bed := nshost.NewSentinel(t, 3, nshost.SentinelOptions{})
	inv := bed.WriteInventory()
	h1 := bed.Hosts[0]
	bed.Isolate(h1)
	if _, err := bed.WaitSplit(h1, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := testStreams()
	code := run([]string{"inject", "kill", "--host", "role:master", "-p", "unit=redis-server", "--dry-run", "-i", inv}, ios)
	stderr := strings.TrimSpace(errOut.String())
	want := "gameday: --host: role:master cannot be resolved now: the Sentinels of redis/cache disagree on the master ("
	if code != 2 || !strings.HasPrefix(stderr, want) || strings.Contains(stderr, "\n") {
		t.Fatalf("exit %d, stderr %q; want exit 2 and one line starting %q", code, stderr, want)
	}
}
