package jvm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// Firewall cuts lab nodes off the network by their loopback address with
// iptables DROP rules in one chain of its own, jumped to from INPUT. Every
// packet on loopback passes INPUT, so a rule on the node's address drops
// both what it sends and what it is sent: a real, two-way partition. Other
// chains and rules are never touched.
type Firewall struct {
	Chain string

	mu       sync.Mutex
	isolated map[string]bool
}

// NewFirewall returns a firewall using chain (e.g. "GAMEDAY-LAB-1a2b").
func NewFirewall(chain string) *Firewall {
	return &Firewall{Chain: chain, isolated: map[string]bool{}}
}

// Isolate drops every packet from or to addr. It is idempotent.
func (f *Firewall) Isolate(addr string) error {
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
	f.isolated[addr] = true
	return nil
}

// Heal removes addr's rules. It is idempotent.
func (f *Firewall) Heal(addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
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

// Remove deletes the jump and the chain with every rule in it.
func (f *Firewall) Remove() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ipt("-n", "-L", f.Chain) != nil {
		return nil
	}
	for ipt("-C", "INPUT", "-j", f.Chain) == nil {
		if err := ipt("-D", "INPUT", "-j", f.Chain); err != nil {
			return err
		}
	}
	if err := ipt("-F", f.Chain); err != nil {
		return err
	}
	f.isolated = map[string]bool{}
	return ipt("-X", f.Chain)
}

func (f *Firewall) ensureChain() error {
	if ipt("-n", "-L", f.Chain) != nil {
		if err := ipt("-N", f.Chain); err != nil {
			return err
		}
	}
	if ipt("-C", "INPUT", "-j", f.Chain) != nil {
		return ipt("-I", "INPUT", "-j", f.Chain)
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
