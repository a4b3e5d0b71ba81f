package hostns

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
)

// lockPath serialises subnet choice between processes making networks at
// the same time (tests, labs), so two networks never share a /24.
const lockPath = "/run/gameday-nshost.lock"

// Network is a private /24: a hub namespace holding bridge br0, and an
// uplink veth from the root namespace whose address (RunnerAddr) is the
// one everything in the root namespace reaches the hosts from.
type Network struct {
	// Hub is the hub namespace's name; Uplink the root side's veth.
	Hub, Uplink string
	// Subnet is "10.213.X.0/24"; RunnerAddr "10.213.X.1".
	Subnet, RunnerAddr string

	octet int
}

// NewNetwork creates hub namespace hub with its bridge and the uplink
// (a veth name: at most 15 bytes) on a /24 no other network uses.
func NewNetwork(hub, uplink string) (*Network, error) {
	if len(uplink) > 15 {
		return nil, fmt.Errorf("uplink name %q is longer than the kernel's 15 bytes", uplink)
	}
	lk, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", lockPath, err)
	}
	defer lk.Close()
	if err := syscall.Flock(int(lk.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	defer syscall.Flock(int(lk.Fd()), syscall.LOCK_UN)

	routes, err := Run("ip", "-4", "route", "show")
	if err != nil {
		return nil, err
	}
	n := &Network{Hub: hub, Uplink: uplink}
	for try := 0; try < 100; try++ {
		o := 1 + rand.IntN(254)
		if !strings.Contains(routes, fmt.Sprintf("10.213.%d.", o)) {
			n.octet = o
			break
		}
	}
	if n.octet == 0 {
		return nil, fmt.Errorf("no free 10.213.X.0/24 subnet")
	}
	n.Subnet = fmt.Sprintf("10.213.%d.0/24", n.octet)
	n.RunnerAddr = fmt.Sprintf("10.213.%d.1", n.octet)
	steps := [][]string{
		{"ip", "netns", "add", hub},
		{"ip", "-n", hub, "link", "set", "lo", "up"},
		{"ip", "-n", hub, "link", "add", "br0", "type", "bridge"},
		{"ip", "-n", hub, "link", "set", "br0", "up"},
		{"ip", "link", "add", uplink, "type", "veth", "peer", "name", "up0", "netns", hub},
		{"ip", "-n", hub, "link", "set", "up0", "master", "br0", "up"},
		{"ip", "addr", "add", n.RunnerAddr + "/24", "dev", uplink},
		{"ip", "link", "set", uplink, "up"},
	}
	for _, s := range steps {
		if _, err := Run(s...); err != nil {
			n.Remove()
			return nil, err
		}
	}
	return n, nil
}

// Addr is the address of the network's i-th host (1-based): 10.213.X.i+1.
func (n *Network) Addr(i int) string { return fmt.Sprintf("10.213.%d.%d", n.octet, i+1) }

// AddHost creates h's namespace h.NS with loopback up and eth0, address
// h.Addr, joined to the hub's bridge as port "h<i>", and h.Dir.
func (n *Network) AddHost(h *Host, i int) error {
	port := fmt.Sprintf("h%d", i)
	steps := [][]string{
		{"ip", "netns", "add", h.NS},
		{"ip", "-n", h.NS, "link", "set", "lo", "up"},
		{"ip", "link", "add", port, "netns", n.Hub, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		{"ip", "-n", n.Hub, "link", "set", port, "master", "br0", "up"},
		{"ip", "-n", h.NS, "addr", "add", h.Addr + "/24", "dev", "eth0"},
		{"ip", "-n", h.NS, "link", "set", "eth0", "up"},
	}
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return err
	}
	for _, s := range steps {
		if _, err := Run(s...); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the hub namespace; the uplink and the hosts' veth pairs
// go with it.
func (n *Network) Remove() error { return RemoveNamespace(n.Hub) }
