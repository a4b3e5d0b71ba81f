package nshost_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/targets"
)

func TestBedHostsTalkOnlyAmongThemselvesAndVanishAfterTheTest(t *testing.T) {
	var names []string
	var bedRef *nshost.Bed
	t.Run("bed", func(t *testing.T) {
		bed := nshost.New(t, 2, nshost.Options{Redis: true})
		bedRef = bed
		h1, h2 := bed.Hosts[0], bed.Hosts[1]
		names = []string{h1.NS, h2.NS}
		for _, h := range bed.Hosts {
			if _, err := os.Stat("/run/netns/" + h.NS); err != nil {
				t.Fatalf("namespace %s missing: %v", h.NS, err)
			}
			c, err := net.DialTimeout("tcp", h.Addr+":22", 2*time.Second)
			if err != nil {
				t.Fatalf("sshd on %s unreachable from the test: %v", h.Name, err)
			}
			c.Close()
			if routes := bed.Exec(h, "ip", "-4", "route", "show"); strings.Contains(routes, "default") {
				t.Fatalf("%s has a default route; bed traffic must stay inside: %s", h.Name, routes)
			}
		}
		inv, err := targets.Load(bed.WriteInventory())
		if err != nil {
			t.Fatalf("the bed's inventory does not load: %v", err)
		}
		if len(inv.Hosts) != 2 || inv.Hosts[1].Address != h2.Addr || inv.SSH.KnownHosts != bed.KnownHosts {
			t.Fatalf("loaded inventory %+v does not describe the bed", inv)
		}
		// host1 reaches host2's Redis across the hub bridge.
		out := bed.Exec(h1, "redis-cli", "-h", h2.Addr, "-p", "6379", "PING")
		if strings.TrimSpace(out) != "PONG" {
			t.Fatalf("redis PING from host1 to host2 = %q, want PONG", out)
		}
		before := bed.Snapshot(h1)
		bed.Exec(h1, "iptables", "-A", "INPUT", "-s", "192.0.2.7", "-j", "DROP")
		after := bed.Snapshot(h1)
		if before == after || !strings.Contains(after, "-A INPUT -s 192.0.2.7/32 -j DROP") {
			t.Fatalf("snapshot missed a new INPUT rule:\n%s", after)
		}
		// Each host has a private /run, as real hosts do.
		if out, err := bed.ExecHost(h1, "sh", "-c", "echo one > /run/gameday-bed-probe && cat /run/gameday-bed-probe"); err != nil || out != "one\n" {
			t.Fatalf("writing host1's /run: %q, %v", out, err)
		}
		if out, err := bed.ExecHost(h2, "cat", "/run/gameday-bed-probe"); err == nil {
			t.Fatalf("host2 sees host1's /run file: %q", out)
		}
		if _, err := os.Stat("/run/gameday-bed-probe"); err == nil {
			t.Fatalf("host1's /run file leaked into the machine's /run")
		}
		if bed.Snapshot(h2) != bed.Snapshot(h2) {
			t.Fatalf("two snapshots of an untouched host differ")
		}
	})
	if bedRef == nil {
		t.Fatal("bed was not built")
	}
	for _, ns := range names {
		if _, err := os.Stat("/run/netns/" + ns); !os.IsNotExist(err) {
			t.Errorf("namespace %s survived teardown (stat err %v)", ns, err)
		}
	}
	if _, err := net.DialTimeout("tcp", bedRef.Hosts[0].Addr+":22", 300*time.Millisecond); err == nil {
		t.Errorf("host1's sshd still reachable after teardown")
	}
}

func TestSweepRemovesOnlyBedsOfDeadProcesses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("nshost: network namespaces need root (run the tests as root)")
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	orphan := fmt.Sprintf("gd-%d-1-hub", dead.Process.Pid)
	live := fmt.Sprintf("gd-%d-999-1", os.Getpid())
	for _, ns := range []string{orphan, live} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	nshost.Sweep()
	if _, err := os.Stat("/run/netns/" + orphan); !os.IsNotExist(err) {
		t.Errorf("sweep left %s, whose process is gone", orphan)
	}
	if _, err := os.Stat("/run/netns/" + live); err != nil {
		t.Errorf("sweep removed %s of a live process: %v", live, err)
	}
}
