package jvm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/internal/proc"
)

// Options configures a cluster of n JVM nodes.
type Options struct {
	// Dir holds configs, data and logs (node folders n1, n2, …).
	Dir string
	// Nodes is the node count (default 3).
	Nodes int
	// HeapMB is each JVM's heap (defaults: Kafka 256, Cassandra 384).
	HeapMB int
	// Subnet is the loopback /24 the nodes bind ("127.0.42"); empty picks
	// a free one so that parallel runs and the other cluster never share
	// an address (a partition by address must cut exactly one node).
	Subnet string
	// Faketime runs every node under libfaketime (clock-drift target).
	// It is costly: every clock read of the JVM goes through libfaketime,
	// which makes a JVM burn many times the CPU (a Cassandra start slows
	// from seconds to minutes on 2 cores). Prefer FaketimeNode.
	Faketime bool
	// FaketimeNode runs only node N (1-based) under libfaketime: the one
	// node a clock-drift drill moves.
	FaketimeNode int
	// TmpfsMB, when set, mounts a tmpfs of that many MiB on every node's
	// data dir, so that a disk-fill fault fills a small filesystem of the
	// node's own. It needs root; run it inside a private mount namespace
	// (unshare -m) to keep the mounts out of the machine's view.
	TmpfsMB int
	// Cgroup, when set, is a cgroup v2 group under which each node gets its
	// own (Cgroup/<node>), so a Firewall can cut what the node sends.
	Cgroup string
	// DCs, when set (Cassandra), names each node's datacenter (node i in
	// DCs[i-1]): the nodes use GossipingPropertyFileSnitch, so a keyspace
	// can replicate per datacenter (NetworkTopologyStrategy). Empty: one
	// datacenter, "datacenter1" (SimpleSnitch).
	DCs []string
	// Hosts, when set, are namespace hosts (one per node, node i in
	// Hosts[i-1]): each node binds its host's address and runs inside it
	// — network, mount and PID namespaces — as a node on a host of its
	// own reached over SSH. Subnet and Cgroup are then not used, and
	// TmpfsMB must be the hosts' own mounts (see StartKafka).
	Hosts []*hostns.Host
	// Progress receives one line per node as it starts.
	Progress func(string)
}

func (o *Options) defaults(heap int) {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.HeapMB == 0 {
		o.HeapMB = heap
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// prepare picks a free subnet for ports when none is set, creates Dir and
// writes the cluster's logging configuration there, returning its path.
func (o *Options) prepare(logName, logConfig string, ports ...int) (string, error) {
	if len(o.Hosts) > 0 && len(o.Hosts) != o.Nodes {
		return "", fmt.Errorf("%d namespace hosts for %d nodes", len(o.Hosts), o.Nodes)
	}
	if len(o.DCs) > 0 && len(o.DCs) != o.Nodes {
		return "", fmt.Errorf("%d datacenters named for %d nodes", len(o.DCs), o.Nodes)
	}
	if o.Subnet == "" && len(o.Hosts) == 0 {
		subnet, err := pickSubnet(o.Nodes, ports...)
		if err != nil {
			return "", err
		}
		o.Subnet = subnet
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(o.Dir, logName)
	return path, os.WriteFile(path, []byte(logConfig), 0o644)
}

// Cluster is a running set of nodes.
type Cluster struct {
	Nodes  []*Node
	mounts []string
}

// Stop stops every node and waits until all are gone.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		wg.Go(func() { n.Stop(20 * time.Second) })
	}
	wg.Wait()
	for _, n := range c.Nodes {
		removeCgroup(n.Cgroup)
	}
	for _, m := range c.mounts {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	c.mounts = nil
}

// newNode prepares node i of a kind ("kafka") listening on port: its
// folder (returned), faketime file and data dir, with the fields every
// kind shares.
func (c *Cluster) newNode(o Options, i int, kind string, port int) (*Node, string, error) {
	dir, ft, err := prepareNodeDir(o, i)
	if err != nil {
		return nil, "", err
	}
	n := &Node{Name: fmt.Sprintf("%s-%d", kind, i), Addr: nodeAddr(o, i), Port: port, DataDir: filepath.Join(dir, "data"),
		FaketimeFile: ft, Cgroup: nodeCgroup(o, i), host: nodeHost(o, i)}
	return n, dir, c.mountData(o, n.DataDir)
}

// add writes n's start script in dir and makes n one of c's nodes.
func (c *Cluster) add(n *Node, dir string) error {
	if err := n.writeStartScript(dir); err != nil {
		return err
	}
	c.Nodes = append(c.Nodes, n)
	return nil
}

// stopOnError stops c when *err is set: a start that failed half-way
// leaves no node, tmpfs mount or cgroup behind.
func (c *Cluster) stopOnError(err *error) {
	if *err != nil {
		c.Stop()
	}
}

// mountData mounts a tmpfs of o.TmpfsMB on dir when asked; on namespace
// hosts their own mounts do it.
func (c *Cluster) mountData(o Options, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if o.TmpfsMB <= 0 || len(o.Hosts) > 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("a tmpfs data dir needs root (mount); start without it or as root")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%dm,mode=0755", o.TmpfsMB)); err != nil {
		return fmt.Errorf("mount a %d MiB tmpfs on %s: %w", o.TmpfsMB, dir, err)
	}
	c.mounts = append(c.mounts, dir)
	return nil
}

// Node returns the node called name, or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Endpoints lists every node's Addr:Port.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, n := range c.Nodes {
		eps = append(eps, n.Endpoint())
	}
	return eps
}

// pickSubnet returns a 127.0.X /24 on which none of ports is in use on
// the first n addresses.
func pickSubnet(n int, ports ...int) (string, error) {
	for try := 0; try < 50; try++ {
		subnet := fmt.Sprintf("127.0.%d", 10+rand.IntN(240))
		if subnetFree(subnet, n, ports) {
			return subnet, nil
		}
	}
	return "", fmt.Errorf("no free loopback subnet for %d nodes", n)
}

func subnetFree(subnet string, n int, ports []int) bool {
	for i := 1; i <= n; i++ {
		for _, p := range ports {
			l, err := net.Listen("tcp", fmt.Sprintf("%s.%d:%d", subnet, i, p))
			if err != nil {
				return false
			}
			l.Close()
		}
	}
	return true
}

// NodeDir is node i's folder (1-based) in a cluster whose Options.Dir is
// dir; its data dir is NodeDir/data.
func NodeDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("n%d", i)) }

// prepareNodeDir creates the node's folder and, when asked, its faketime
// file with a zero offset.
func prepareNodeDir(o Options, i int) (dir, faketime string, err error) {
	dir = NodeDir(o.Dir, i)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if o.Faketime || o.FaketimeNode == i {
		if _, err := os.Stat(proc.FaketimeLib); err == nil {
			faketime = filepath.Join(dir, "faketime")
			if err := proc.SetClockOffset(faketime, "+0"); err != nil {
				return "", "", err
			}
		}
	}
	return dir, faketime, nil
}

// startAll starts nodes in parallel and stops them all if one fails.
func startAll(ctx context.Context, nodes []*Node, progress func(string)) error {
	errs := make(chan error, len(nodes))
	for _, n := range nodes {
		go func() {
			t0 := time.Now()
			err := n.Start(ctx)
			if err == nil {
				progress(fmt.Sprintf("%s up on %s (%.1fs)", n.Name, n.Endpoint(), time.Since(t0).Seconds()))
			}
			errs <- err
		}()
	}
	var first error
	for range nodes {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// nodeAddr is node i's address: its host's, or 127.0.X.i.
func nodeAddr(o Options, i int) string {
	if len(o.Hosts) > 0 {
		return o.Hosts[i-1].Addr
	}
	return fmt.Sprintf("%s.%d", o.Subnet, i)
}

// nodeHost is node i's namespace host, or nil.
func nodeHost(o Options, i int) *hostns.Host {
	if len(o.Hosts) == 0 {
		return nil
	}
	return o.Hosts[i-1]
}

// nodeCgroup is node i's cgroup under o.Cgroup, or "".
func nodeCgroup(o Options, i int) string {
	if o.Cgroup == "" || len(o.Hosts) > 0 {
		return ""
	}
	return fmt.Sprintf("%s/n%d", o.Cgroup, i)
}
