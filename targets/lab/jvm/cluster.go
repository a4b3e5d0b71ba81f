package jvm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
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
	Faketime bool
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

// Cluster is a running set of nodes.
type Cluster struct {
	Nodes []*Node
}

// Stop stops every node and waits until all are gone.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); n.Stop(20 * time.Second) }()
	}
	wg.Wait()
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

// prepareNodeDir creates the node's folder and, when asked, its faketime
// file with a zero offset.
func prepareNodeDir(o Options, i int) (dir, faketime string, err error) {
	dir = filepath.Join(o.Dir, fmt.Sprintf("n%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if o.Faketime {
		if _, err := os.Stat(faketimeLib); err == nil {
			faketime = filepath.Join(dir, "faketime")
			if err := os.WriteFile(faketime, []byte("+0\n"), 0o644); err != nil {
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
