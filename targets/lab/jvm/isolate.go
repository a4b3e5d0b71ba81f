package jvm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
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

	mu       sync.Mutex
	isolated map[string]bool
}

// NewFirewall returns a firewall using chain (e.g. "GAMEDAY-LAB-1a2b").
func NewFirewall(chain string) *Firewall {
	return &Firewall{Chain: chain, isolated: map[string]bool{}}
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
	for _, c := range []struct{ from, chain string }{{"INPUT", f.Chain}, {"OUTPUT", f.out()}} {
		if ipt("-n", "-L", c.chain) != nil {
			continue
		}
		for ipt("-C", c.from, "-j", c.chain) == nil {
			if err := ipt("-D", c.from, "-j", c.chain); err != nil {
				return err
			}
		}
		if err := ipt("-F", c.chain); err != nil {
			return err
		}
		if err := ipt("-X", c.chain); err != nil {
			return err
		}
	}
	return nil
}

func (f *Firewall) ensureChain() error {
	for _, c := range []struct{ from, chain string }{{"INPUT", f.Chain}, {"OUTPUT", f.out()}} {
		if ipt("-n", "-L", c.chain) != nil {
			if err := ipt("-N", c.chain); err != nil {
				return err
			}
		}
		if ipt("-C", c.from, "-j", c.chain) != nil {
			if err := ipt("-I", c.from, "-j", c.chain); err != nil {
				return err
			}
		}
	}
	return nil
}

// ipt runs iptables, waiting for the xtables lock rather than failing.
func ipt(args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("iptables", append([]string{"-w", "5"}, args...)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
