// Package sshx runs shell scripts on inventory hosts over SSH: one pooled
// connection per host, a session per script, strict known_hosts checking,
// ssh-agent and identity files, ~/.ssh/config and one ProxyJump hop, sudo
// when the user is not root, and a deadline on every call so that a hung
// host never hangs the caller.
//
// A *Pool satisfies inject.Runner once its Result is converted
// (inject.Result(r) — the two types have the same fields); sshx does not
// import inject so that inject can import sshx.
package sshx

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// Result is what one script run produced. It has the same fields as
// inject.Result, so inject.Result(r) converts it.
type Result struct {
	Stdout, Stderr string
	Exit           int
}

// Config tunes a Pool. The zero value is usable.
type Config struct {
	// Timeout bounds each Run on each host, connecting included (default
	// 30 s); the caller's context may shorten it.
	Timeout time.Duration
	// ConnectTimeout bounds dialing and the SSH handshake (default 10 s,
	// never more than Timeout).
	ConnectTimeout time.Duration
	// AcceptNew is the operator's explicit consent to trust host keys not
	// yet in known_hosts; they are then appended to it. Changed keys are
	// always refused.
	AcceptNew bool
	// SSHConfig is the ssh_config file to honour; "" means ~/.ssh/config
	// and /etc/ssh/ssh_config, "none" means no file.
	SSHConfig string
	// Home replaces the home directory for ~/.ssh defaults ("" means the
	// user's own).
	Home string
	// AgentSocket is the ssh-agent socket; "" means $SSH_AUTH_SOCK, "none"
	// means no agent.
	AgentSocket string
	// MaxSessions caps concurrent sessions on one connection (default 8;
	// OpenSSH's MaxSessions defaults to 10).
	MaxSessions int
	// Parallel caps the hosts RunAll talks to at once (default 64).
	Parallel int
	// KeepaliveAfter: a connection idle longer than this is checked with
	// one keepalive round trip (at most 3 s) before a script uses it, and
	// replaced when it does not answer, so that a connection a network
	// blip or a rebooted host left half-dead does not cost a failed step
	// (default 10 s; negative: never check).
	KeepaliveAfter time.Duration
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.ConnectTimeout > c.Timeout {
		c.ConnectTimeout = c.Timeout
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 8
	}
	if c.Parallel <= 0 {
		c.Parallel = 64
	}
	if c.KeepaliveAfter == 0 {
		c.KeepaliveAfter = 10 * time.Second
	}
	return c
}

// Pool keeps one SSH connection per host and runs scripts over it. It is
// safe for concurrent use.
type Pool struct {
	inv   *targets.Inventory
	cfg   Config
	dials atomic.Int64

	mu     sync.Mutex
	conns  map[string]*conn
	closed bool

	khMu sync.Mutex // serialises known_hosts appends
	auth authSource
	sc   sshConfigs
}

// New returns a Pool for the hosts of inv (which supplies SSH defaults and
// ProxyJump hosts by name; it may be nil).
func New(inv *targets.Inventory, cfg Config) *Pool {
	cfg = cfg.withDefaults()
	p := &Pool{inv: inv, cfg: cfg, conns: map[string]*conn{}}
	p.auth.cfg = &p.cfg
	return p
}

// Dials returns how many SSH connections the pool has opened so far (jump
// hops included): a measure of connection reuse.
func (p *Pool) Dials() int64 { return p.dials.Load() }

// Run runs script on host h with `sh` (under `sudo -n` when the user is not
// root), the script travelling on stdin so that no quoting is needed. A
// non-zero exit status is reported in Result.Exit with a nil error; the error
// says why the script could not run at all. Run never outlives ctx or the
// pool's per-host Timeout: on expiry it closes the host's connection.
func (p *Pool) Run(ctx context.Context, h targets.Host, script string) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	s, err := p.settings(h)
	if err != nil {
		return Result{}, err
	}
	// A connection that turns out dead before the script started is
	// replaced once: the script has not run, so retrying is safe.
	for attempt := 0; ; attempt++ {
		c, err := p.conn(ctx, s)
		if err != nil {
			return Result{}, err
		}
		if attempt == 0 && p.cfg.KeepaliveAfter > 0 && c.idle() > p.cfg.KeepaliveAfter && !c.alive(ctx) {
			c.close()
			continue
		}
		res, started, err := c.run(ctx, s, script)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			c.close()
			return res, fmt.Errorf("host %s: no answer within %s: %w", s.name, p.cfg.Timeout, ctx.Err())
		}
		if started || attempt > 0 {
			return res, fmt.Errorf("host %s: %w", s.name, err)
		}
		c.close()
	}
}

// Outcome is one host's part of a RunAll.
type Outcome struct {
	Result
	Err error
	// Took is how long the host took, connecting included.
	Took time.Duration
}

// RunAll runs script on every host in parallel, each under the per-host
// timeout, and returns each host's outcome keyed by host name.
func (p *Pool) RunAll(ctx context.Context, hosts []targets.Host, script string) map[string]Outcome {
	out := make(map[string]Outcome, len(hosts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.cfg.Parallel)
	for _, h := range hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			res, err := p.Run(ctx, h, script)
			mu.Lock()
			out[h.Name] = Outcome{Result: res, Err: err, Took: time.Since(start)}
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// Close closes every pooled connection; later Runs fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[string]*conn{}
	p.mu.Unlock()
	keys := make([]string, 0, len(conns))
	for k := range conns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		conns[k].close()
	}
	p.auth.close()
	return nil
}

// errClosed is returned by Run after Close.
var errClosed = errors.New("ssh pool is closed")
