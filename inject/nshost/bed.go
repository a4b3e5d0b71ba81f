// Package nshost builds test hosts out of Linux network namespaces: each host
// is a namespace joined by a veth pair to a bridge in a private "hub"
// namespace, runs Debian's sshd (and Redis when asked) on its own address,
// and is reachable from the test process over a private /24 that exists only
// among the namespaces the test creates. Tests of the SSH executor and of
// faults use it to exercise the real, strict SSH path and real traffic.
//
// Namespaces share the filesystem and the PID space with the root namespace;
// only the network is separate, so iptables rules or qdiscs installed over
// SSH on host i affect host i alone.
package nshost

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/targets"
)

// Options choose what a Bed runs besides sshd.
type Options struct {
	// Redis starts redis-server on every host's address, port 6379.
	Redis bool
	// SudoUser, when set, adds a login user of that name with
	// passwordless sudo on every host (needs sudo installed).
	SudoUser string
}

// Host is one namespace host of a Bed: a hostns.Host (Name, NS, Addr,
// HostKeyLine, SSHDPid, SSHDLog…) and what the Bed runs on it besides
// sshd.
type Host struct {
	*hostns.Host
	// RedisAddr is "addr:6379" when the bed runs Redis, else "".
	RedisAddr string

	dir   string // Host.Dir
	redis *process
}

// Bed is a set of namespace hosts made for one test and torn down by its
// cleanup, even when the test fails.
type Bed struct {
	// Hosts are the bed's hosts, host1 first.
	Hosts []*Host
	// Subnet is the bed's private /24 ("10.213.X.0/24").
	Subnet string
	// RunnerAddr is the test process's own address on the subnet: the
	// address gameday's SSH connections come from.
	RunnerAddr string
	// Dir holds keys, configs and logs.
	Dir string
	// IdentityFile is the client private key every host authorizes.
	IdentityFile string
	// KnownHosts lists every host's key.
	KnownHosts string

	hub  string
	uplk string
	tb   testing.TB
}

var bedSeq atomic.Int64

// nsPrefix is the namespace name prefix of every bed; the sweep only
// touches names of the form nsPrefix<pid>-<seq>-<hub|i>.
const nsPrefix = "gd-"

// New creates n namespace hosts running sshd (and Redis when opts.Redis),
// with a client key and a known_hosts file listing every host key. It skips
// the test when not root, and registers a cleanup that removes everything it
// made. Namespaces left by crashed earlier runs are swept first.
func New(tb testing.TB, n int, opts Options) *Bed {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("nshost: network namespaces need root (run the tests as root)")
	}
	if n < 1 || n > 250 {
		tb.Fatalf("nshost: %d hosts asked for; a bed holds 1 to 250", n)
	}
	var extra map[string]string
	if opts.Redis {
		extra = map[string]string{"/usr/bin/redis-server": "redis-server"}
	}
	if err := hostns.Require(extra); err != nil {
		tb.Fatalf("nshost: %v", err)
	}
	Sweep()
	dir := tb.TempDir()
	seq := bedSeq.Add(1)
	id := fmt.Sprintf("%d-%d", os.Getpid(), seq)
	b := &Bed{
		Dir:          dir,
		hub:          nsPrefix + id + "-hub",
		uplk:         "gd" + id,
		tb:           tb,
		IdentityFile: filepath.Join(dir, "id_ed25519"),
		KnownHosts:   filepath.Join(dir, "known_hosts"),
	}
	tb.Cleanup(b.teardown)
	if err := b.setup(id, n, opts); err != nil {
		tb.Fatalf("nshost: %v", err)
	}
	return b
}

func (b *Bed) setup(id string, n int, opts Options) error {
	if err := hostns.Keygen(b.IdentityFile, "gameday-nshost"); err != nil {
		return err
	}
	net, err := hostns.NewNetwork(b.hub, b.uplk)
	if err != nil {
		return err
	}
	b.Subnet, b.RunnerAddr = net.Subnet, net.RunnerAddr
	for i := 1; i <= n; i++ {
		core := &hostns.Host{
			Name: "host" + strconv.Itoa(i),
			NS:   nsPrefix + id + "-" + strconv.Itoa(i),
			Addr: net.Addr(i),
			Dir:  filepath.Join(b.Dir, "host"+strconv.Itoa(i)),
		}
		h := &Host{Host: core, dir: core.Dir}
		b.Hosts = append(b.Hosts, h)
		if err := net.AddHost(core, i); err != nil {
			return err
		}
	}
	for _, h := range b.Hosts {
		if err := h.WriteEtc(opts.SudoUser, b.IdentityFile+".pub"); err != nil {
			return err
		}
		if err := h.StartSSHD(); err != nil {
			return err
		}
		if opts.Redis {
			if err := b.startRedis(h); err != nil {
				return err
			}
		}
	}
	if err := hostns.WriteKnownHosts(b.KnownHosts, b.cores()); err != nil {
		return err
	}
	for _, h := range b.Hosts {
		if h.redis != nil {
			if err := waitListening(h.RedisAddr, h.redis); err != nil {
				return fmt.Errorf("redis on %s: %w", h.Name, err)
			}
		}
	}
	return nil
}

// cores lists the hosts' hostns parts.
func (b *Bed) cores() []*hostns.Host {
	var out []*hostns.Host
	for _, h := range b.Hosts {
		out = append(out, h.Host)
	}
	return out
}

// Inventory returns an inventory listing the bed's hosts, reached as root
// with the bed's identity file and strict known_hosts.
func (b *Bed) Inventory() *targets.Inventory {
	inv := &targets.Inventory{
		Name: "nshost",
		SSH: targets.SSH{
			User:         "root",
			Port:         22,
			IdentityFile: b.IdentityFile,
			KnownHosts:   b.KnownHosts,
		},
	}
	for _, h := range b.Hosts {
		inv.Hosts = append(inv.Hosts, targets.Host{
			Name:    h.Name,
			Address: h.Addr,
			Tags:    []string{"nshost"},
		})
	}
	return inv
}

// Host returns the host named name (or fails the test).
func (b *Bed) Host(name string) *Host {
	for _, h := range b.Hosts {
		if h.Name == name {
			return h
		}
	}
	b.tb.Fatalf("nshost: no host %q in the bed", name)
	return nil
}
