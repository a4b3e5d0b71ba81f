package lab

import (
	"net"
	"sync"
)

// gate wraps a kfake broker's listener so the broker can be cut off the
// network and healed: kfake cannot reopen a closed listener, so while cut
// the gate closes every open connection and every new one at accept.
type gate struct {
	net.Listener

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func newGate(l net.Listener) *gate {
	return &gate{Listener: l, conns: map[net.Conn]struct{}{}}
}

// Accept hands kfake only connections made while the gate is open.
func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		if g.cut {
			g.mu.Unlock()
			c.Close()
			continue
		}
		gc := &gatedConn{Conn: c, g: g}
		g.conns[gc] = struct{}{}
		g.mu.Unlock()
		return gc, nil
	}
}

// set cuts (true) or heals (false) the broker; both are idempotent.
func (g *gate) set(cut bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cut = cut
	if cut {
		for c := range g.conns {
			c.(*gatedConn).Conn.Close()
		}
	}
}

func (g *gate) isCut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cut
}

type gatedConn struct {
	net.Conn
	g    *gate
	once sync.Once
}

func (c *gatedConn) Close() error {
	c.once.Do(func() {
		c.g.mu.Lock()
		delete(c.g.conns, c)
		c.g.mu.Unlock()
	})
	return c.Conn.Close()
}
