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
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

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

// Host is one namespace host of a Bed.
type Host struct {
	// Name is the inventory name ("host1", "host2", …).
	Name string
	// NS is the network namespace name ("gd-<pid>-<seq>-<i>").
	NS string
	// Addr is the host's IPv4 address on the bed's subnet.
	Addr string
	// HostKeyLine is the host's known_hosts line.
	HostKeyLine string
	// RedisAddr is "addr:6379" when the bed runs Redis, else "".
	RedisAddr string

	dir            string
	authorizedKeys string // set when a sudo user needs a readable copy
	sshd           *process
	redis          *process
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
	need := map[string]string{"ip": "iproute2", "/usr/sbin/sshd": "openssh-server", "ssh-keygen": "openssh-client", "nsenter": "util-linux"}
	if opts.Redis {
		need["/usr/bin/redis-server"] = "redis-server"
	}
	for bin, pkg := range need {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Fatalf("nshost: %s is missing; install Debian's %s (scripts/deps.sh does)", bin, pkg)
		}
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
	if err := keygen(b.IdentityFile); err != nil {
		return err
	}
	octet, err := b.network()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		h := &Host{
			Name: "host" + strconv.Itoa(i+1),
			NS:   nsPrefix + id + "-" + strconv.Itoa(i+1),
			Addr: fmt.Sprintf("10.213.%d.%d", octet, i+2),
			dir:  filepath.Join(b.Dir, "host"+strconv.Itoa(i+1)),
		}
		b.Hosts = append(b.Hosts, h)
		if err := b.addHost(h, i+1); err != nil {
			return err
		}
	}
	for _, h := range b.Hosts {
		if err := b.writeEtc(h, opts.SudoUser); err != nil {
			return err
		}
		if err := b.startSSHD(h); err != nil {
			return err
		}
		if opts.Redis {
			if err := b.startRedis(h); err != nil {
				return err
			}
		}
	}
	if err := b.writeKnownHosts(); err != nil {
		return err
	}
	for _, h := range b.Hosts {
		if err := waitListening(h.Addr+":22", h.sshd); err != nil {
			return fmt.Errorf("sshd on %s: %w", h.Name, err)
		}
		if h.redis != nil {
			if err := waitListening(h.RedisAddr, h.redis); err != nil {
				return fmt.Errorf("redis on %s: %w", h.Name, err)
			}
		}
	}
	return nil
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
