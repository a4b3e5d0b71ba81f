package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// conn is one pooled SSH connection. It is dialled once by whichever Run
// needs it first; concurrent Runs wait for that dial rather than dialling
// again.
type conn struct {
	key      string
	ready    chan struct{} // closed when the dial ended
	client   *ssh.Client   // set before ready closes, nil on error
	err      error
	sessions chan struct{} // caps concurrent sessions
	dead     chan struct{} // closed when the connection is gone
	once     sync.Once
	lastUsed atomic.Int64 // unix nanoseconds of the last session's end
	// mu orders close against the dial setting client: a pool closed
	// while a dial is under way must still close the client it yields.
	mu           sync.Mutex
	clientClosed bool
}

// idle is how long the connection has had no session.
func (c *conn) idle() time.Duration {
	return time.Since(time.Unix(0, c.lastUsed.Load()))
}

// keepaliveTimeout bounds the round trip that checks an idle connection.
const keepaliveTimeout = 3 * time.Second

// alive sends one keepalive request and waits for the reply.
func (c *conn) alive(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, keepaliveTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
		done <- err
	}()
	select {
	case err := <-done:
		// OpenSSH answers "failure" to an unknown request: any answer
		// proves the connection alive.
		return err == nil
	case <-ctx.Done():
		return false
	}
}

// close closes the connection; Runs on it fail and the pool redials. It
// may run before the dial ends; the dial then calls it again to close the
// client it got.
func (c *conn) close() {
	c.once.Do(func() { close(c.dead) })
	c.mu.Lock()
	cl := c.client
	if c.clientClosed {
		cl = nil
	}
	c.clientClosed = cl != nil || c.clientClosed
	c.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
}

func (c *conn) isDead() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

// conn returns the pooled connection for s, dialling it if needed.
func (p *Pool) conn(ctx context.Context, s *settings) (*conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	c := p.conns[s.key]
	if c != nil && c.isDead() {
		c = nil
	}
	if c == nil {
		c = &conn{
			key:      s.key,
			ready:    make(chan struct{}),
			sessions: make(chan struct{}, p.cfg.MaxSessions),
			dead:     make(chan struct{}),
		}
		p.conns[s.key] = c
		go p.dial(c, s)
	}
	p.mu.Unlock()
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("host %s: not connected in time: %w", s.name, ctx.Err())
	}
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

// dial connects c, bounded by ConnectTimeout whoever waits for it.
func (p *Pool) dial(c *conn, s *settings) {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.ConnectTimeout)
	defer cancel()
	client, err := p.handshake(ctx, s)
	p.mu.Lock()
	c.mu.Lock()
	c.client, c.err = client, err
	c.mu.Unlock()
	stale := p.closed || p.conns[c.key] != c
	if err != nil && p.conns[c.key] == c {
		delete(p.conns, c.key) // the next Run dials afresh
	}
	p.mu.Unlock()
	c.lastUsed.Store(time.Now().UnixNano())
	close(c.ready)
	if err != nil {
		c.close()
		return
	}
	if stale {
		c.close()
		return
	}
	go func() {
		client.Wait()
		c.close()
	}()
}

// handshake opens the TCP connection (directly or through the jump host's
// pooled connection) and runs the SSH handshake with strict host-key
// checking.
func (p *Pool) handshake(ctx context.Context, s *settings) (*ssh.Client, error) {
	auth, err := p.auth.methods(s)
	if err != nil {
		return nil, err
	}
	hk, err := p.hostKeys(s)
	if err != nil {
		return nil, err
	}
	var nc net.Conn
	if s.jump != nil {
		jc, err := p.conn(ctx, s.jump)
		if err != nil {
			return nil, fmt.Errorf("host %s: jump host %s: %w", s.name, s.jump.name, err)
		}
		if nc, err = jc.client.DialContext(ctx, "tcp", s.addr); err != nil {
			return nil, fmt.Errorf("host %s: connecting to %s through jump host %s: %w", s.name, s.addr, s.jump.name, err)
		}
	} else {
		var d net.Dialer
		if nc, err = d.DialContext(ctx, "tcp", s.addr); err != nil {
			return nil, fmt.Errorf("host %s: connecting to %s: %w", s.name, s.addr, err)
		}
	}
	p.dials.Add(1)
	cfg := &ssh.ClientConfig{
		User:              s.user,
		Auth:              auth,
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: hk.algos,
	}
	type hsResult struct {
		client *ssh.Client
		err    error
	}
	done := make(chan hsResult, 1)
	go func() {
		cc, chans, reqs, err := ssh.NewClientConn(nc, s.addr, cfg)
		if err != nil {
			done <- hsResult{err: err}
			return
		}
		done <- hsResult{client: ssh.NewClient(cc, chans, reqs)}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			nc.Close()
			if hk.refusal != nil {
				return nil, hk.refusal
			}
			return nil, fmt.Errorf("host %s: ssh handshake with %s as %s: %w", s.name, s.addr, s.user, r.err)
		}
		return r.client, nil
	case <-ctx.Done():
		// Closing the socket unblocks the handshake goroutine.
		nc.Close()
		if r := <-done; r.client != nil {
			r.client.Close()
		}
		return nil, fmt.Errorf("host %s: ssh handshake with %s: no answer within %s", s.name, s.addr, p.cfg.ConnectTimeout)
	}
}

// remoteCommand makes the remote shell read the script from stdin: no
// argument is interpolated, so nothing needs quoting.
const remoteCommand = "sh -s"

// wrapScript makes the script one brace group with stdin from /dev/null.
// The shell parses a whole group before running any of it, so a command in
// the script that reads stdin finds /dev/null instead of swallowing the
// rest of the script, as it would under plain `sh -s`.
func wrapScript(script string) string {
	return "{\n" + script + "\n} </dev/null\n"
}

// run runs script in a new session. started tells whether the script may
// have begun, so that a failure before that point can be retried safely.
func (c *conn) run(ctx context.Context, s *settings, script string) (res Result, started bool, err error) {
	select {
	case c.sessions <- struct{}{}:
	case <-ctx.Done():
		return res, false, ctx.Err()
	case <-c.dead:
		return res, false, errors.New("connection closed")
	}
	defer func() {
		c.lastUsed.Store(time.Now().UnixNano())
		<-c.sessions
	}()

	cmd := remoteCommand
	if s.user != "root" {
		cmd = "sudo -n " + cmd
	}
	type runResult struct {
		res     Result
		started bool
		err     error
	}
	done := make(chan runResult, 1)
	go func() {
		var r runResult
		sess, err := c.client.NewSession()
		if err != nil {
			r.err = fmt.Errorf("opening a session: %w", err)
			done <- r
			return
		}
		defer sess.Close()
		var stdout, stderr bytes.Buffer
		sess.Stdin = strings.NewReader(wrapScript(script))
		sess.Stdout, sess.Stderr = &stdout, &stderr
		if err := sess.Start(cmd); err != nil {
			r.err = fmt.Errorf("starting the remote shell: %w", err)
			done <- r
			return
		}
		r.started = true
		err = sess.Wait()
		r.res = Result{Stdout: stdout.String(), Stderr: stderr.String()}
		var ee *ssh.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			r.res.Exit = ee.ExitStatus()
		default:
			r.err = fmt.Errorf("running the script: %w", err)
		}
		done <- r
	}()
	select {
	case r := <-done:
		return r.res, r.started, r.err
	case <-ctx.Done():
		// A hung host must not hang the caller: dropping the connection
		// ends the session goroutine too.
		c.close()
		return res, true, ctx.Err()
	}
}
