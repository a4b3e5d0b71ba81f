package lab

import (
	"io"
	"net"
	"sync"
	"time"
)

// relay is the public address of a Redis or Sentinel node. It forwards
// every connection to the node's Toxiproxy proxy, except connections from
// blocked source addresses. Every node opens its own connections from its
// own loopback address (bind-source-addr), so blocking a source at a relay
// cuts traffic *from* that node to this one — the half of a partition a
// proxy in front of the node cannot see.
type relay struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	blocked map[string]bool // source IPs
	conns   map[*relayConn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

type relayConn struct {
	src       string
	down, up  net.Conn
	closeOnce sync.Once
}

func (c *relayConn) close() {
	c.closeOnce.Do(func() {
		c.down.Close()
		if c.up != nil {
			c.up.Close()
		}
	})
}

// newRelay listens on a fresh loopback port and forwards to target.
func newRelay(target string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{ln: ln, target: target, blocked: map[string]bool{}, conns: map[*relayConn]struct{}{}}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) serve() {
	defer r.wg.Done()
	for {
		down, err := r.ln.Accept()
		if err != nil {
			return
		}
		src, _, _ := net.SplitHostPort(down.RemoteAddr().String())
		r.mu.Lock()
		if r.closed || r.blocked[src] {
			r.mu.Unlock()
			down.Close()
			continue
		}
		c := &relayConn{src: src, down: down}
		r.conns[c] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		go r.pipe(c)
	}
}

// pipe dials the proxy and copies both ways until either side closes.
func (r *relay) pipe(c *relayConn) {
	defer r.wg.Done()
	defer func() {
		c.close()
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
	}()
	up, err := net.DialTimeout("tcp", r.target, 2*time.Second)
	if err != nil {
		return
	}
	r.mu.Lock()
	c.up = up
	cut := r.blocked[c.src] || r.closed
	r.mu.Unlock()
	if cut {
		up.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c.down); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c.down, up); done <- struct{}{} }()
	<-done
}

// block refuses connections from ip and closes the open ones.
func (r *relay) block(ip string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blocked[ip] = true
	for c := range r.conns {
		if c.src == ip {
			c.close()
		}
	}
}

// unblock lets ip connect again.
func (r *relay) unblock(ip string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.blocked, ip)
}

// blockedIPs lists the blocked source addresses.
func (r *relay) blockedIPs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for ip := range r.blocked {
		out = append(out, ip)
	}
	return out
}

// close stops accepting, cuts every connection and waits for the pipes.
func (r *relay) close() {
	r.mu.Lock()
	r.closed = true
	r.ln.Close()
	for c := range r.conns {
		c.close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
