package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets"
)

// sshNet is the network of `lab up --full --ssh`: one namespace host per
// real node, joined to a lab bridge, each with its own address, its own
// PID namespace and its own Debian sshd, reached with the lab's key and
// known_hosts — hosts like the ones the fault tests use (internal/hostns).
type sshNet struct {
	net   *hostns.Network
	hosts []*hostns.Host
	// Identity is the lab's login key (root on every node); KnownHosts
	// lists every node's host key.
	Identity, KnownHosts string
}

// Names of what an SSH lab makes outside its dir, after its owner's pid
// and start time (a pid is reused): namespaces gdlab-<pid>-<start>-<i>
// and -hub, uplink veth gl<pid>.
var labNS = regexp.MustCompile(`^gdlab-([0-9]+)-([0-9]+)-(hub|[0-9]+)$`)

// sshNode is one node to put on a host: its name and the tmpfs mounts its
// host needs (a broker's log dir).
type sshNode struct {
	name   string
	mounts []hostns.Mount
}

// newSSHNet makes the hosts for nodes, in dir (DIR/ssh).
func newSSHNet(dir string, owner proc.ID, nodes []sshNode) (s *sshNet, err error) {
	if err := hostns.Require(nil); err != nil {
		return nil, fmt.Errorf("--ssh: %w", err)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("--ssh: network namespaces and sshd need root; run the lab as root")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s = &sshNet{Identity: filepath.Join(dir, "id_ed25519"), KnownHosts: filepath.Join(dir, "known_hosts")}
	defer func() {
		if err != nil {
			s.remove()
		}
	}()
	for _, f := range []string{s.Identity, s.Identity + ".pub"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return s, err
		}
	}
	if err := hostns.Keygen(s.Identity, "gameday-lab"); err != nil {
		return s, err
	}
	prefix := fmt.Sprintf("gdlab-%d-%d-", owner.PID, owner.Start)
	if s.net, err = hostns.NewNetwork(prefix+"hub", "gl"+strconv.Itoa(owner.PID)); err != nil {
		return s, err
	}
	for i, n := range nodes {
		h := &hostns.Host{Name: n.name, NS: prefix + strconv.Itoa(i+1), Addr: s.net.Addr(i + 1),
			Dir: filepath.Join(dir, n.name), OwnPIDs: true, Mounts: n.mounts}
		s.hosts = append(s.hosts, h)
		if err := s.net.AddHost(h, i+1); err != nil {
			return s, err
		}
		for _, m := range n.mounts {
			if err := os.MkdirAll(m.Dir, 0o755); err != nil {
				return s, err
			}
		}
		if err := h.WriteEtc("", s.Identity+".pub"); err != nil {
			return s, err
		}
		if err := h.StartSSHD(); err != nil {
			return s, err
		}
	}
	return s, hostns.WriteKnownHosts(s.KnownHosts, s.hosts)
}

// host returns the host of node name, or nil.
func (s *sshNet) host(name string) *hostns.Host {
	for _, h := range s.hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// ssh is the inventory's SSH settings for a node.
func (s *sshNet) ssh() targets.SSH {
	return targets.SSH{User: "root", Port: 22, IdentityFile: s.Identity, KnownHosts: s.KnownHosts}
}

// remove kills every host (everything in its PID namespace goes with its
// sshd) and deletes the namespaces; the hosts' mounts go with them.
func (s *sshNet) remove() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, h := range s.hosts {
		h.Kill()
		if err := hostns.RemoveNamespace(h.NS); err != nil {
			errs = append(errs, err)
		}
	}
	if s.net != nil {
		errs = append(errs, s.net.Remove())
	}
	return errors.Join(errs...)
}

// sweepDeadSSHLabs removes the namespaces of SSH labs that died without
// stopping; their processes died with them (PID namespaces whose first
// process was killed with the lab). It returns what it removed.
func sweepDeadSSHLabs() []string {
	if os.Geteuid() != 0 {
		return nil
	}
	var removed []string
	for _, ns := range hostns.Namespaces(func(name string) bool {
		m := labNS.FindStringSubmatch(name)
		if m == nil {
			return false
		}
		pid, _ := strconv.Atoi(m[1])
		start, _ := strconv.ParseUint(m[2], 10, 64)
		return !(proc.ID{PID: pid, Start: start}).Running()
	}) {
		if hostns.RemoveNamespace(ns) == nil {
			removed = append(removed, "namespace "+ns)
		}
	}
	return removed
}

// SSHHost returns the namespace host a real node of an SSH lab runs on
// (nil without --ssh or for another name): for tests and tools that look
// at a node as the machine sees it.
func (l *Lab) SSHHost(name string) *hostns.Host {
	if l.full == nil || l.full.ssh == nil {
		return nil
	}
	return l.full.ssh.host(name)
}

// NodeFiles are the paths a fault on a real node names: with --ssh they
// are not in the inventory (an SSH host has no lab: block), so `lab up`
// prints them and drills pass them as parameters.
type NodeFiles struct {
	// DataDir is the node's data dir (disk-fill's path; a broker's log
	// dir, on its host's tmpfs with --data-tmpfs).
	DataDir string
	// StartScript starts the node again from inside its host (kill's
	// start, with pattern kafka.Kafka or CassandraDaemon).
	StartScript string
	// FaketimeFile is the node's libfaketime control file (clock-drift's
	// faketime_file), or "" for a node that does not run under it.
	FaketimeFile string
}

// RealNodeFiles returns the paths of real node name.
func (l *Lab) RealNodeFiles(name string) (NodeFiles, bool) {
	n := l.full.node(name)
	if n == nil {
		return NodeFiles{}, false
	}
	return NodeFiles{DataDir: n.DataDir, StartScript: n.StartScript, FaketimeFile: n.FaketimeFile}, true
}
