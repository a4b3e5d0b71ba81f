package inject_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/targets"
)

// newManager returns a Manager for inv with its own ledger, reaching the
// hosts through the real SSH runner (strict known_hosts from the bed).
func newManager(t testing.TB, inv *targets.Inventory, opts ...inject.Option) *inject.Manager {
	t.Helper()
	m, err := inject.NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"), opts...)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// redisPings tells whether a Redis PING from host from reaches to's Redis
// within 5 s: real TCP traffic between two namespace hosts. The bound
// covers starting redis-cli in the namespace too, which on a loaded
// machine alone took over a second: a dropped SYN is told from a slow
// start only by waiting longer than any start takes.
func redisPings(bed *nshost.Bed, from, to *nshost.Host) bool {
	out, err := bed.TryExec(from, "timeout", "5", "redis-cli", "-h", to.Addr, "-p", "6379", "PING")
	return err == nil && strings.TrimSpace(out) == "PONG"
}

// udpArrives tells whether a UDP datagram sent from host from reaches host
// to's network stack: with nothing listening on the port, arrival shows as
// one more "NoPorts" in to's /proc/net/snmp. Unlike TCP, UDP shows
// one-way cuts: no reply has to come back.
func udpArrives(t testing.TB, bed *nshost.Bed, from, to *nshost.Host) bool {
	t.Helper()
	before := udpNoPorts(t, bed, to)
	bed.TryExec(from, "bash", "-c", fmt.Sprintf("echo x > /dev/udp/%s/9", to.Addr))
	for deadline := time.Now().Add(500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if udpNoPorts(t, bed, to) > before {
			return true
		}
	}
	return false
}

func udpNoPorts(t testing.TB, bed *nshost.Bed, h *nshost.Host) int {
	t.Helper()
	snmp := bed.Exec(h, "cat", "/proc/net/snmp")
	var names, values []string
	for _, line := range strings.Split(snmp, "\n") {
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		if names == nil {
			names = strings.Fields(line)
		} else {
			values = strings.Fields(line)
		}
	}
	for i, n := range names {
		if n == "NoPorts" && i < len(values) {
			v, _ := strconv.Atoi(values[i])
			return v
		}
	}
	t.Fatalf("no Udp NoPorts counter in %s's /proc/net/snmp", h.Name)
	return 0
}

// hasGamedayRules tells whether host h's iptables still hold anything of
// gameday's.
func hasGamedayRules(bed *nshost.Bed, h *nshost.Host) bool {
	out, err := bed.TryExec(h, "iptables-save")
	return err != nil || strings.Contains(out, "GAMEDAY")
}
