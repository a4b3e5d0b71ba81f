package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/redis/go-redis/v9"
	gossh "golang.org/x/crypto/ssh"

	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui"
	"github.com/gameday-dev/gameday/warroom"
)

// benchSeconds is how long each war-room configuration is measured
// (GAMEDAY_BENCH_SECONDS, default 60).
func benchSeconds() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("GAMEDAY_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 60 * time.Second
}

// viewerKeys makes n client keys and the keys file naming them
// viewer-1…n (observers).
func viewerKeys(b testing.TB, n int) ([]gossh.Signer, []byte) {
	var signers []gossh.Signer
	var file strings.Builder
	for i := range n {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		s, _ := gossh.NewSignerFromKey(priv)
		signers = append(signers, s)
		fmt.Fprintf(&file, "viewer-%d observer %s", i+1, gossh.MarshalAuthorizedKey(s.PublicKey()))
	}
	return signers, []byte(file.String())
}

// viewer is one SSH client with a 160×48 terminal; unless stalled, it
// reads (and drops) everything its screen sends.
type viewer struct {
	c *gossh.Client
	s *gossh.Session
}

func join(b testing.TB, addr string, key gossh.Signer, stalled bool) *viewer {
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "v", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second}) // the server is the test's own
	if err != nil {
		b.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	if stalled {
		// Never read: the SSH window fills and the server's writes to
		// this client block, as with a frozen terminal.
		if _, err := s.StdoutPipe(); err != nil {
			b.Fatal(err)
		}
	} else {
		s.Stdout = io.Discard
	}
	if err := s.RequestPty("xterm-256color", 48, 160, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		b.Fatal(err)
	}
	return &viewer{c: c, s: s}
}

func (v *viewer) leave() { v.s.Close(); v.c.Close() }

// latencies collects, per event and viewer, how long after the Recorder
// fanned the event out the viewer's screen model took it in.
type latencies struct {
	mu      sync.Mutex
	arrived map[uint64]time.Time
	from    uint64 // only events recorded after every viewer joined
	d       []time.Duration
}

func (l *latencies) watch(rec *timeline.Recorder) func() {
	sub := rec.Subscribe(1 << 16)
	go func() {
		for e := range sub.C() {
			now := time.Now()
			l.mu.Lock()
			l.arrived[e.Seq] = now
			l.mu.Unlock()
		}
	}()
	return sub.Close
}

func (l *latencies) delivered(evs []timeline.Event) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.from == 0 {
		return
	}
	for _, e := range evs {
		if t, ok := l.arrived[e.Seq]; ok && e.Seq > l.from {
			l.d = append(l.d, now.Sub(t))
		}
	}
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// BenchmarkServeFanoutLatency: 20 viewers (x/crypto SSH clients with a
// PTY, each a full TUI in the server) on a session over the real lab, for
// benchSeconds: how long after the Recorder has an event every viewer's
// screen model has it; then the same with one more viewer that never
// reads. Run with -benchtime 1x.
func BenchmarkServeFanoutLatency(b *testing.B) {
	bin := buildGameday(b, b.TempDir())
	b.Setenv("XDG_STATE_HOME", b.TempDir())
	labDir := b.TempDir()
	labUp(b, bin, labDir)
	b.Cleanup(func() { exec.Command(bin, "lab", "down", "--dir", labDir).Run() })
	inv, err := targets.Load(filepath.Join(labDir, "inventory.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for _, stalled := range []bool{false, true} {
		name := "20 viewers"
		if stalled {
			name += " + 1 that never reads"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				fanout(b, inv, 20, stalled)
			}
		})
	}
}

func fanout(b *testing.B, inv *targets.Inventory, n int, stalled bool) {
	dir := b.TempDir()
	keys, file := viewerKeys(b, n+1)
	k, err := warroom.ParseKeys("bench.keys", file)
	if err != nil {
		b.Fatal(err)
	}
	hk, _, err := warroom.HostKey(filepath.Join(dir, "host_key"))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := warroom.New(warroom.Config{Listen: "127.0.0.1:0", Keys: k, HostKey: hk})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := session.Open(session.Config{Source: "serve", Targets: inv, StateDir: dir, Shared: true})
	if err != nil {
		b.Fatal(err)
	}
	lat := &latencies{arrived: map[uint64]time.Time{}}
	stop := lat.watch(sess.Recorder())
	defer stop()
	go srv.Serve(sess, func(a *session.Attachment, r *lipgloss.Renderer) tea.Model {
		o := screenOptions(sess, a, r)
		o.Shared, o.Delivered = true, lat.delivered
		return tui.New(o)
	})
	var vs []*viewer
	for i := range n {
		vs = append(vs, join(b, srv.Addr().String(), keys[i], false))
	}
	if stalled {
		vs = append(vs, join(b, srv.Addr().String(), keys[n], true))
	}
	for len(sess.People()) < len(vs) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // every screen past its first frame
	sess.Recorder().Record(timeline.NewEvent(timeline.Note, "bench", "measuring from here"))
	sess.Recorder().Sync()
	lat.mu.Lock()
	for s := range lat.arrived {
		lat.from = max(lat.from, s)
	}
	lat.mu.Unlock()
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	time.Sleep(benchSeconds())
	b.StopTimer()
	lat.mu.Lock()
	d := append([]time.Duration(nil), lat.d...)
	events := 0
	for s := range lat.arrived {
		if s > lat.from {
			events++
		}
	}
	lat.mu.Unlock()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(len(d)), "deliveries")
	b.ReportMetric(float64(quantile(d, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(quantile(d, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(quantile(d, 1).Microseconds())/1000, "max-ms")
	if want := events * n; len(d) < want*9/10 {
		b.Errorf("%d deliveries of %d events to %d viewers: screens missed events", len(d), events, n)
	}
	for _, v := range vs {
		v.leave()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	srv.Shutdown(ctx)
	cancel()
	sess.Close("bench over")
}

// procStat returns the CPU ticks (user+system) and the RSS in KiB of pid.
func procStat(b testing.TB, pid int) (ticks int64, rssKiB int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw)[strings.LastIndexByte(string(raw), ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rssKiB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return ut + st, rssKiB
}

// redisCalls sums every command the lab's Redis nodes have served but
// INFO (the measurement itself), from INFO commandstats.
func redisCalls(b testing.TB, inv *targets.Inventory) int64 {
	var total int64
	for _, h := range inv.Hosts {
		if h.Lab == nil || h.Lab.Kind != "redis" {
			continue
		}
		c := redis.NewClient(&redis.Options{Addr: h.Lab.Listen})
		info, err := c.Info(context.Background(), "commandstats").Result()
		c.Close()
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(info, "\n") {
			name, rest, ok := strings.Cut(strings.TrimSpace(l), ":calls=")
			if !ok || name == "cmdstat_info" {
				continue
			}
			n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
			total += n
		}
	}
	return total
}

// BenchmarkServeViewers runs the real `gameday serve` binary on the lab
// with 0, 1, 10 and 20 viewers (and 20 plus one that never reads), each
// for benchSeconds, and reports the server's CPU, its RSS, and the Redis
// commands per second the session's probes cause. Run with -benchtime 1x.
func BenchmarkServeViewers(b *testing.B) {
	bin := buildGameday(b, b.TempDir())
	b.Setenv("XDG_STATE_HOME", b.TempDir())
	labDir := b.TempDir()
	labUp(b, bin, labDir)
	b.Cleanup(func() { exec.Command(bin, "lab", "down", "--dir", labDir).Run() })
	invPath := filepath.Join(labDir, "inventory.yaml")
	inv, err := targets.Load(invPath)
	if err != nil {
		b.Fatal(err)
	}
	for _, cfg := range []struct {
		n       int
		stalled bool
	}{{0, false}, {1, false}, {10, false}, {20, false}, {20, true}} {
		name := fmt.Sprintf("%d viewers", cfg.n)
		if cfg.stalled {
			name += " + 1 that never reads"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				serveLoad(b, bin, invPath, inv, cfg.n, cfg.stalled)
			}
		})
	}
}

func serveLoad(b *testing.B, bin, invPath string, inv *targets.Inventory, n int, stalled bool) {
	dir := b.TempDir()
	keys, file := viewerKeys(b, n+1)
	keyFile := filepath.Join(dir, "bench.keys")
	os.WriteFile(keyFile, file, 0o600)
	cmd := exec.Command(bin, "serve", "-i", invPath, "--listen", "127.0.0.1:0", "--keys", keyFile, "--state-dir", dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	addr := make(chan string, 1)
	go func() {
		buf := make([]byte, 64<<10)
		var said strings.Builder
		for {
			k, err := out.Read(buf)
			said.Write(buf[:k])
			if i := strings.Index(said.String(), "listening on "); i >= 0 && len(addr) == 0 && strings.Contains(said.String()[i:], ";") {
				a := strings.Fields(said.String()[i+len("listening on "):])[0]
				addr <- strings.TrimSuffix(a, ";")
			}
			if err != nil {
				return
			}
		}
	}()
	var a string
	select {
	case a = <-addr:
	case <-time.After(60 * time.Second):
		b.Fatal("gameday serve did not listen within 60 s")
	}
	var vs []*viewer
	for i := range n {
		vs = append(vs, join(b, a, keys[i], false))
	}
	if stalled {
		vs = append(vs, join(b, a, keys[n], true))
	}
	defer func() {
		for _, v := range vs {
			v.leave()
		}
	}()
	time.Sleep(10 * time.Second) // probes connected, screens past their first frames
	t0, _ := procStat(b, cmd.Process.Pid)
	c0 := redisCalls(b, inv)
	b.ResetTimer()
	start := time.Now()
	time.Sleep(benchSeconds())
	b.StopTimer()
	el := time.Since(start).Seconds()
	t1, rss := procStat(b, cmd.Process.Pid)
	c1 := redisCalls(b, inv)
	b.ReportMetric(float64(t1-t0)/100/el*100, "cpu-%")
	b.ReportMetric(float64(rss)/1024, "rss-MiB")
	b.ReportMetric(float64(c1-c0)/el, "redis-cmds/s")
}
