package warroom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"github.com/gameday-dev/gameday/internal/listen"
	"github.com/gameday-dev/gameday/session"
)

// Defaults of the failed-authentication limit.
const (
	// DefaultMaxFailures is how many unknown keys one address may offer
	// within DefaultFailWindow before it is refused outright for that
	// long. An SSH agent offers every key it holds, so a person with a
	// few keys never comes near it.
	DefaultMaxFailures = 20
	DefaultFailWindow  = time.Minute
)

// Config sets up a Server.
type Config struct {
	// Listen is the address to listen on (":2222", "10.0.0.5:2222").
	Listen string
	// Keys says who may join, as whom, in which role.
	Keys *Keys
	// HostKey is the server's key (see HostKey).
	HostKey gossh.Signer
	// Audit receives one line per SSH event: connections, refused
	// authentications, screens opened and closed, refused requests.
	Audit io.Writer
	// MaxFailures and FailWindow limit failed authentications per address
	// (defaults DefaultMaxFailures, DefaultFailWindow).
	MaxFailures int
	FailWindow  time.Duration
}

// Server is `gameday serve`'s SSH server: one Bubble Tea program per
// connection, all on one session.
type Server struct {
	cfg    Config
	srv    *ssh.Server
	ln     net.Listener
	audit  *auditLog
	sess   *session.Session
	screen Screen

	mu       sync.Mutex
	progs    map[*tea.Program]struct{}
	fails    map[string][]time.Time // failed authentications by remote host
	stopping bool
	screens  sync.WaitGroup
}

// Screen builds the screen of one attached person; r renders its styles
// for that client's terminal.
type Screen func(a *session.Attachment, r *lipgloss.Renderer) tea.Model

// ErrPortInUse is wrapped by New's error when the listen address is
// taken.
var ErrPortInUse = listen.ErrInUse

// New listens on cfg.Listen and prepares the server, so that a port in
// use is known before a session is opened; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.FailWindow <= 0 {
		cfg.FailWindow = DefaultFailWindow
	}
	if cfg.Audit == nil {
		cfg.Audit = io.Discard
	}
	s := &Server{cfg: cfg, audit: &auditLog{w: cfg.Audit}, progs: map[*tea.Program]struct{}{}, fails: map[string][]time.Time{}}
	srv, err := wish.NewServer(
		func(srv *ssh.Server) error { srv.AddHostKey(cfg.HostKey); return nil },
		wish.WithPublicKeyAuth(s.authenticate),
		wish.WithMiddleware(s.serveScreen),
	)
	if err != nil {
		return nil, err
	}
	srv.Version = "gameday"
	srv.ConnCallback = s.onConnect
	srv.SessionRequestCallback = s.allowRequest
	srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel}
	// Nothing else is served: no port forwarding either way (their
	// callbacks stay nil, which refuses them), no subsystems.
	srv.LocalPortForwardingCallback = nil
	srv.ReversePortForwardingCallback = nil
	srv.SubsystemHandlers = nil
	s.srv = srv
	ln, err := listen.TCP(cfg.Listen, "another gameday serve, or another program,")
	if err != nil {
		return nil, err
	}
	s.ln = ln
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves sess until Shutdown, each connection's screen built by
// screen; it returns nil after a Shutdown.
func (s *Server) Serve(sess *session.Session, screen Screen) error {
	s.mu.Lock()
	s.sess, s.screen = sess, screen
	s.mu.Unlock()
	err := s.srv.Serve(s.ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops taking connections, ends every screen (each client's
// terminal is restored) and waits for them, up to ctx; screens that do
// not end in time (a client that stopped reading) are cut off.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	progs := make([]*tea.Program, 0, len(s.progs))
	for p := range s.progs {
		progs = append(progs, p)
	}
	s.mu.Unlock()
	for _, p := range progs {
		go p.Quit() // a program stuck writing to its client never takes the message
	}
	ended := make(chan struct{})
	go func() { s.screens.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-ctx.Done():
	}
	// Close, not Shutdown: the connections themselves must go, or a
	// client that stopped reading would hold the server forever.
	err := s.srv.Close()
	<-ended
	if errors.Is(err, ssh.ErrServerClosed) {
		err = nil
	}
	return err
}

// host is the address part of a remote address, what failed
// authentications are counted by.
func host(a net.Addr) string {
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// onConnect refuses, before any handshake, an address that failed too
// often.
func (s *Server) onConnect(_ ssh.Context, conn net.Conn) net.Conn {
	if s.limited(host(conn.RemoteAddr()), false) {
		s.audit.log(conn.RemoteAddr(), "-", "connection refused: too many failed authentications from this address")
		return nil
	}
	return conn
}

// limited tells whether h is over its failed-authentication limit,
// counting one more failure first when failed.
func (s *Server) limited(h string, failed bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	recent := s.fails[h][:0]
	for _, t := range s.fails[h] {
		if now.Sub(t) < s.cfg.FailWindow {
			recent = append(recent, t)
		}
	}
	if failed {
		recent = append(recent, now)
	}
	if len(recent) == 0 {
		delete(s.fails, h)
	} else {
		s.fails[h] = recent
	}
	return len(recent) >= s.cfg.MaxFailures
}

// authenticate accepts the keys of the keys file, nothing else: no
// passwords, no keyboard-interactive.
func (s *Server) authenticate(ctx ssh.Context, key ssh.PublicKey) bool {
	h := host(ctx.RemoteAddr())
	p, ok := s.cfg.Keys.Lookup(key)
	if !ok {
		over := s.limited(h, true)
		msg := "authentication refused: key " + gossh.FingerprintSHA256(key) + " is not in " + s.cfg.Keys.Path
		if over {
			msg += "; this address is now refused for " + s.cfg.FailWindow.String()
		}
		s.audit.log(ctx.RemoteAddr(), ctx.User(), msg)
		return false
	}
	if s.limited(h, false) {
		s.audit.log(ctx.RemoteAddr(), p.String(), "authentication refused: too many failed authentications from this address")
		return false
	}
	return true
}

// allowRequest lets a session run only the screen: a shell request. Exec
// (ssh host CMD) and subsystems (sftp) are refused.
func (s *Server) allowRequest(sess ssh.Session, kind string) bool {
	if kind == "shell" {
		return true
	}
	s.audit.log(sess.RemoteAddr(), s.who(sess), "refused a "+kind+" request: only the war-room screen is served")
	return false
}

func (s *Server) who(sess ssh.Session) string {
	if sess.PublicKey() == nil {
		return sess.User()
	}
	if p, ok := s.cfg.Keys.Lookup(sess.PublicKey()); ok {
		return p.String()
	}
	return sess.User()
}

// sessionChannel is the SSH session channel handler with agent and X11
// forwarding refused: the requests are answered no before the session
// sees them.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, newChan gossh.NewChannel, ctx ssh.Context) {
	ssh.DefaultSessionHandler(srv, conn, refusing{NewChannel: newChan, s: s, ctx: ctx}, ctx)
}

// refusing wraps a session channel so that forwarding requests on it are
// refused.
type refusing struct {
	gossh.NewChannel
	s   *Server
	ctx ssh.Context
}

func (r refusing) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := r.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		for req := range reqs {
			switch req.Type {
			case "auth-agent-req@openssh.com", "x11-req":
				r.s.audit.log(r.ctx.RemoteAddr(), r.ctx.User(), "refused "+req.Type+": no forwarding")
				if req.WantReply {
					req.Reply(false, nil)
				}
				continue
			}
			out <- req
		}
	}()
	return ch, out, nil
}

// serveScreen runs one screen: the person's attachment to the session
// and a Bubble Tea program on the client's terminal, until they quit, the
// connection drops or the server stops.
func (s *Server) serveScreen(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer next(sess)
		p, ok := s.cfg.Keys.Lookup(sess.PublicKey())
		if !ok { // authenticate let it in: cannot happen
			return
		}
		p.From = sess.RemoteAddr().String()
		pty, winch, isPty := sess.Pty()
		if !isPty {
			s.audit.log(sess.RemoteAddr(), p.String(), "refused: no terminal")
			wish.Fatalln(sess, "gameday serve shows the war-room screen, which needs a terminal: connect with plain `ssh -p PORT HOST` (or add -t)")
			return
		}
		s.mu.Lock()
		stopping := s.stopping
		if !stopping {
			s.screens.Add(1)
		}
		s.mu.Unlock()
		if stopping {
			wish.Fatalln(sess, "gameday serve is stopping")
			return
		}
		defer s.screens.Done()
		s.mu.Lock()
		sn, screen := s.sess, s.screen
		s.mu.Unlock()
		att, err := sn.Attach(p)
		if err != nil {
			wish.Fatalln(sess, "gameday serve: "+err.Error())
			return
		}
		defer att.Detach()
		start := time.Now()
		s.audit.log(sess.RemoteAddr(), p.String()+" "+p.Key, "screen opened ("+pty.Term+fmt.Sprintf(" %dx%d)", pty.Window.Width, pty.Window.Height))
		prog := tea.NewProgram(screen(att, renderer(sess, pty)),
			tea.WithInput(sess), tea.WithOutput(sess), tea.WithAltScreen(), tea.WithoutSignalHandler())
		s.mu.Lock()
		s.progs[prog] = struct{}{}
		s.mu.Unlock()
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-done:
					return
				case <-sess.Context().Done():
					prog.Quit()
					return
				case w, ok := <-winch:
					if !ok {
						return
					}
					prog.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
				}
			}
		}()
		_, err = prog.Run()
		close(done)
		s.mu.Lock()
		delete(s.progs, prog)
		s.mu.Unlock()
		how := "screen closed after " + time.Since(start).Round(time.Second).String()
		if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			how += ": " + err.Error()
		}
		s.audit.log(sess.RemoteAddr(), p.String(), how)
	}
}

// renderer is the lipgloss renderer of one client: its colour profile
// comes from the terminal type and environment the client sent, not from
// the server's terminal.
func renderer(sess ssh.Session, pty ssh.Pty) *lipgloss.Renderer {
	env := append(sess.Environ(), "TERM="+pty.Term)
	return lipgloss.NewRenderer(sess, termenv.WithEnvironment(environ(env)), termenv.WithUnsafe(), termenv.WithColorCache(true))
}

// environ is a client's environment as termenv reads it.
type environ []string

func (e environ) Environ() []string { return e }

func (e environ) Getenv(k string) string {
	v := ""
	for _, kv := range e { // the last one wins, as in a shell
		if name, val, ok := strings.Cut(kv, "="); ok && name == k {
			v = val
		}
	}
	return v
}

// auditLog writes one line per event: when (UTC), from where, who, what.
type auditLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *auditLog) log(from net.Addr, who, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	addr := "-"
	if from != nil {
		addr = from.String()
	}
	fmt.Fprintf(l.w, "%s\t%s\t%s\t%s\n", time.Now().UTC().Format(time.RFC3339), addr, who, what)
}
