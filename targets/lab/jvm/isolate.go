package jvm

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/gameday-dev/gameday/internal/proc"
)

// Firewall cuts lab nodes off the network with iptables DROP rules in two
// chains of its own: Chain, jumped to from INPUT, drops every packet to or
// from the node's loopback address; Chain-O, jumped to from OUTPUT, drops
// every packet the node's processes send, matched by their cgroup — a JVM
// connects out from 127.0.0.1, not from its own address, so without it a
// cut broker would go on heartbeating to its controller. Together: a real,
// two-way partition. Other chains and rules are never touched.
type Firewall struct {
	Chain string
	// owner is the lab process whose chains these are, recorded in the
	// jumps to them (see SweepDeadLabs); zero for a firewall of no lab.
	owner proc.ID

	mu       sync.Mutex
	isolated map[string]bool
}

// NewFirewall returns a firewall using chain (e.g. "GAMEDAY-T42").
func NewFirewall(chain string) *Firewall {
	return &Firewall{Chain: chain, isolated: map[string]bool{}}
}

// NewLabFirewall returns the firewall of the lab process owner: chain
// GAMEDAY-LAB-<pid>, whose jumps carry owner's start time so that a later
// lab can tell the chains of a lab that died from those of a live process
// that reuses its pid.
func NewLabFirewall(owner proc.ID) *Firewall {
	f := NewFirewall(labChainPrefix + strconv.Itoa(owner.PID))
	f.owner = owner
	return f
}

// jump is the rule that sends the packets of built-in chain from to
// chain, as iptables takes it after -I, -C or -D.
func (f *Firewall) jump(from, chain string) []string {
	rule := []string{from}
	if f.owner.Start != 0 {
		rule = append(rule, "-m", "comment", "--comment", ownerComment(f.owner.Start))
	}
	return append(rule, "-j", chain)
}

// Isolate drops every packet from or to addr, and every packet sent by a
// process of cgroup (a cgroup v2 path; "" for none). It is idempotent.
func (f *Firewall) Isolate(addr, cgroup string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("partitioning %s needs root (iptables); run the full lab as root", addr)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ensureChain(); err != nil {
		return err
	}
	for _, dir := range []string{"-s", "-d"} {
		if ipt("-C", f.Chain, dir, addr, "-j", "DROP") == nil {
			continue
		}
		if err := ipt("-A", f.Chain, dir, addr, "-j", "DROP"); err != nil {
			return err
		}
	}
	if cgroup != "" && ipt("-C", f.out(), "-m", "cgroup", "--path", cgroup, "-j", "DROP") != nil {
		if err := ipt("-A", f.out(), "-m", "cgroup", "--path", cgroup, "-j", "DROP"); err != nil {
			return err
		}
	}
	f.isolated[addr] = true
	return nil
}

func (f *Firewall) out() string { return f.Chain + "-O" }

// Heal removes addr's and cgroup's rules. It is idempotent.
func (f *Firewall) Heal(addr, cgroup string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for cgroup != "" && ipt("-C", f.out(), "-m", "cgroup", "--path", cgroup, "-j", "DROP") == nil {
		if err := ipt("-D", f.out(), "-m", "cgroup", "--path", cgroup, "-j", "DROP"); err != nil {
			return err
		}
	}
	for _, dir := range []string{"-s", "-d"} {
		for ipt("-C", f.Chain, dir, addr, "-j", "DROP") == nil {
			if err := ipt("-D", f.Chain, dir, addr, "-j", "DROP"); err != nil {
				return err
			}
		}
	}
	delete(f.isolated, addr)
	return nil
}

// Isolated tells whether addr is cut, reading the kernel's rules (the
// verify step: what is really in place, not what was asked).
func (f *Firewall) Isolated(addr string) bool {
	return ipt("-C", f.Chain, "-s", addr, "-j", "DROP") == nil
}

// Remove deletes the jumps and the chains with every rule in them.
func (f *Firewall) Remove() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.isolated = map[string]bool{}
	return removeChains(f.Chain, f.out())
}

func (f *Firewall) ensureChain() error {
	for _, c := range []struct{ from, chain string }{{"INPUT", f.Chain}, {"OUTPUT", f.out()}} {
		if ipt("-n", "-L", c.chain) != nil {
			if err := ipt("-N", c.chain); err != nil {
				return err
			}
		}
		if ipt(append([]string{"-C"}, f.jump(c.from, c.chain)...)...) != nil {
			if err := ipt(append([]string{"-I"}, f.jump(c.from, c.chain)...)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// ipt runs iptables, waiting for the xtables lock rather than failing.
func ipt(args ...string) error {
	_, err := iptOut(args...)
	return err
}
