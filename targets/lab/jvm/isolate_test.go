package jvm

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ruleset is the rules and user chains of iptables-save, for before/after
// comparisons. Built-in chain headers are left out: the first use of
// iptables creates an empty filter table, which is not a change of state.
func ruleset(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "-A"):
			keep = append(keep, l)
		case strings.HasPrefix(l, ":") && !builtin[strings.Fields(l)[0]]:
			keep = append(keep, strings.Fields(l)[0])
		}
	}
	return strings.Join(keep, "\n")
}

var builtin = map[string]bool{":INPUT": true, ":OUTPUT": true, ":FORWARD": true, ":PREROUTING": true, ":POSTROUTING": true}

func TestFirewallIsolatesOneAddress(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for iptables")
	}
	subnet := fmt.Sprintf("127.0.%d", 10+rand.IntN(240))
	cut, other := subnet+".2", subnet+".3"
	before := ruleset(t)
	var listeners []net.Listener
	for _, a := range []string{cut, other} {
		l, err := net.Listen("tcp", a+":0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		listeners = append(listeners, l)
		t.Cleanup(func() { l.Close() })
	}
	dial := func(l net.Listener) error {
		c, err := net.DialTimeout("tcp", l.Addr().String(), 500*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err
	}
	fw := NewFirewall(fmt.Sprintf("GAMEDAY-T%d", rand.IntN(1e6)))
	t.Cleanup(func() { fw.Remove() })

	if err := fw.Isolate(cut, ""); err != nil {
		t.Fatal(err)
	}
	if err := fw.Isolate(cut, ""); err != nil { // idempotent
		t.Fatal(err)
	}
	if !fw.Isolated(cut) || fw.Isolated(other) {
		t.Fatalf("Isolated: cut=%v other=%v", fw.Isolated(cut), fw.Isolated(other))
	}
	if err := dial(listeners[0]); err == nil {
		t.Fatal("connect to the isolated address succeeded")
	}
	if err := dial(listeners[1]); err != nil {
		t.Fatalf("connect to another address failed: %v", err)
	}
	if err := fw.Heal(cut, ""); err != nil {
		t.Fatal(err)
	}
	if err := fw.Heal(cut, ""); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := dial(listeners[0]); err != nil {
		t.Fatalf("connect after heal failed: %v", err)
	}
	if err := fw.Remove(); err != nil {
		t.Fatal(err)
	}
	if after := ruleset(t); after != before {
		t.Fatalf("iptables changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
