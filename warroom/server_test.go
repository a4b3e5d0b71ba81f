package warroom

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newKey(t *testing.T) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keyLine(name, role string, s gossh.Signer) string {
	return name + " " + role + " " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + name + "@laptop\n"
}

// screenModel is the smallest screen: who is here, and the summaries of
// the events the attachment delivers.
type screenModel struct {
	a     *session.Attachment
	lines []string
}

type eventsMsg []timeline.Event

func (m *screenModel) next() tea.Msg {
	evs, _, ok := m.a.Next()
	if !ok {
		return tea.Quit()
	}
	return eventsMsg(evs)
}

func (m *screenModel) Init() tea.Cmd { return m.next }

func (m *screenModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case eventsMsg:
		for _, e := range msg {
			m.lines = append(m.lines, e.Summary)
		}
		return m, m.next
	case tea.KeyMsg:
		if msg.String() == "q" {
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m *screenModel) View() string {
	p := m.a.Person()
	return fmt.Sprintf("you are %s (%s)\n%s\n", p.Name, p.Role, strings.Join(m.lines[max(0, len(m.lines)-5):], "\n"))
}

type testServer struct {
	srv   *Server
	sess  *session.Session
	addr  string
	host  gossh.PublicKey
	audit *syncBuffer
}

func serve(t *testing.T, keys string, maxFailures int) *testServer {
	t.Helper()
	dir := t.TempDir()
	hk, _, err := HostKey(filepath.Join(dir, "serve", "host_key"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKeys("war-room.keys", []byte(keys))
	if err != nil {
		t.Fatal(err)
	}
	audit := &syncBuffer{}
	srv, err := New(Config{Listen: "127.0.0.1:0", Keys: k, HostKey: hk, Audit: audit, MaxFailures: maxFailures})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := session.Open(session.Config{Source: "serve", StateDir: dir, Shared: true,
		Targets: &targets.Inventory{Name: "test", Hosts: []targets.Host{{Name: "h", Address: "127.0.0.1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- srv.Serve(sess, func(a *session.Attachment, _ *lipgloss.Renderer) tea.Model { return &screenModel{a: a} })
	}()
	t.Cleanup(func() {
		srv.Shutdown(t.Context())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		sess.Close("test over")
	})
	return &testServer{srv: srv, sess: sess, addr: srv.Addr().String(), host: hk.PublicKey(), audit: audit}
}

func (ts *testServer) dial(key gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{
		User: "someone", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(ts.host), Timeout: 10 * time.Second,
	})
}

// screen opens a session with a terminal and returns what it prints.
type screen struct {
	s   *gossh.Session
	out *syncBuffer
	in  io.WriteCloser
}

func openScreen(t *testing.T, c *gossh.Client) *screen {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	s.Stdout = out
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	return &screen{s: s, out: out, in: in}
}

func (sc *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(sc.out.String(), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("screen never showed %q; it showed:\n%q", want, sc.out.String())
}

func TestOnlyKeysOfTheFileJoinInTheirRole(t *testing.T) {
	alice, stranger := newKey(t), newKey(t)
	ts := serve(t, keyLine("alice", "facilitator", alice), 0)

	if _, err := ts.dial(stranger); err == nil {
		t.Fatal("a key that is not in the keys file got in")
	}
	c, err := ts.dial(alice)
	if err != nil {
		t.Fatal(err)
	}
	sc := openScreen(t, c)
	sc.waitFor(t, "you are alice (facilitator)")
	sc.waitFor(t, "alice joined as facilitator from 127.0.0.1:")
	if p := ts.sess.People(); len(p) != 1 || p[0].Name != "alice" {
		t.Errorf("people = %v, want alice", p)
	}
	sc.in.Write([]byte("q"))
	sc.s.Wait()
	c.Close()
	audit := ts.audit.String()
	for _, want := range []string{"authentication refused: key " + gossh.FingerprintSHA256(stranger.PublicKey()) + " is not in war-room.keys",
		"alice (facilitator) SHA256:", "screen opened (xterm-256color 120x40)", "screen closed after"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q:\n%s", want, audit)
		}
	}
}

func TestOnlyTheScreenIsServed(t *testing.T) {
	bob := newKey(t)
	ts := serve(t, keyLine("bob", "observer", bob), 0)
	c, err := ts.dial(bob)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// exec: refused at the request.
	s, _ := c.NewSession()
	if out, err := s.CombinedOutput("cat /etc/passwd"); err == nil || len(out) > 0 {
		t.Errorf("exec ran (err %v): %q", err, out)
	}
	// agent forwarding: refused.
	s, _ = c.NewSession()
	if err := agent.RequestAgentForwarding(s); err == nil {
		t.Error("agent forwarding was accepted")
	}
	s.Close()
	// port forwarding: refused.
	if conn, err := c.Dial("tcp", "127.0.0.1:22"); err == nil {
		conn.Close()
		t.Error("a direct-tcpip channel was opened")
	}
	if ln, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
		t.Error("a remote forward was accepted")
	}
	// a shell without a terminal: told why, exit 1.
	s, _ = c.NewSession()
	var stderr bytes.Buffer
	s.Stderr = &stderr
	s.Shell()
	err = s.Wait()
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(stderr.String(), "needs a terminal") {
		t.Errorf("pty-less shell: %v, stderr %q; want exit 1 saying a terminal is needed", err, stderr.String())
	}
	audit := ts.audit.String()
	for _, want := range []string{"refused a exec request", "refused auth-agent-req@openssh.com", "refused: no terminal"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q:\n%s", want, audit)
		}
	}
}

func TestFailedAuthenticationsAreRateLimited(t *testing.T) {
	alice := newKey(t)
	ts := serve(t, keyLine("alice", "facilitator", alice), 3)
	for range 3 {
		if _, err := ts.dial(newKey(t)); err == nil {
			t.Fatal("an unknown key got in")
		}
	}
	if c, err := ts.dial(alice); err == nil {
		c.Close()
		t.Fatal("after 3 failures in a minute, the address still got in")
	}
	if audit := ts.audit.String(); !strings.Contains(audit, "this address is now refused for 1m0s") || !strings.Contains(audit, "too many failed authentications") {
		t.Errorf("audit log does not say the address is refused:\n%s", audit)
	}
}

func TestPortInUseIsOneSentence(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hk := newKey(t)
	k, _ := ParseKeys("k", []byte(keyLine("a", "observer", newKey(t))))
	_, err = New(Config{Listen: ln.Addr().String(), Keys: k, HostKey: hk})
	if !errors.Is(err, ErrPortInUse) || strings.Count(err.Error(), "\n") > 0 || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("err = %v; want one sentence naming %s and saying it is in use", err, ln.Addr())
	}
}

func TestKeysFileProblemsNameTheLine(t *testing.T) {
	a, b := newKey(t), newKey(t)
	tests := map[string]struct{ text, want string }{
		"too few fields": {"# war room\nalice facilitator\n", "war-room.keys:2: want NAME ROLE PUBLIC-KEY"},
		"wrong role":     {keyLine("alice", "facilatator", a), `war-room.keys:1: role "facilatator" is not one of facilitator, scribe, observer, trainer, trainee`},
		"not a key":      {"alice facilitator ssh-ed25519 AAAAnotbase64!!\n", "war-room.keys:1: alice's public key does not parse"},
		"unknown type":   {"alice facilitator ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIB\n", "war-room.keys:1: alice's public key does not parse"},
		"same key twice": {keyLine("alice", "facilitator", a) + keyLine("bob", "observer", a), "war-room.keys:2: this key is already alice's (line 1)"},
		"two roles":      {keyLine("alice", "facilitator", a) + keyLine("alice", "observer", b), "war-room.keys:2: alice is facilitator on an earlier line"},
		"empty":          {"# nobody yet\n", "war-room.keys holds no key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeys("war-room.keys", []byte(tc.text))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line starting %q", err, tc.want)
			}
		})
	}
	k, err := ParseKeys("war-room.keys", []byte("\n# ok\n"+keyLine("alice", "facilitator", a)+keyLine("alice", "facilitator", b)))
	if err != nil || k.Len() != 2 {
		t.Fatalf("two keys of one person: %v, %v", k, err)
	}
	if p, ok := k.Lookup(b.PublicKey()); !ok || p.Name != "alice" || p.Role != session.Facilitator {
		t.Errorf("Lookup = %+v, %v", p, ok)
	}
}

func TestHostKeyIsKeptPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve", "host_key")
	first, created, err := HostKey(path)
	if err != nil || !created {
		t.Fatalf("first HostKey: created %v, %v", created, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("host key directory mode %v, want 0700", fi.Mode().Perm())
	}
	os.Chmod(path, 0o644)
	again, created, err := HostKey(path)
	if err != nil || created || Fingerprint(again) != Fingerprint(first) {
		t.Fatalf("second HostKey: created %v, %v, fingerprint %s then %s", created, err, Fingerprint(first), Fingerprint(again))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("a 0644 host key was left %v", fi.Mode().Perm())
	}
}
