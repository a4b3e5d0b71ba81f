// Package promserver starts a real Prometheus server (Debian's
// `prometheus` binary) with a configuration of its own, a data directory
// and a free loopback port: for the tests of the prometheus probe and for
// a lab that wants one. Start-up is kept fast (about 0.05 s to ready
// here): no remote storage, no rules, a short scrape interval. The first
// scrape still comes about 5 s after start: Prometheus 2.42's discovery
// manager hands target updates to the scrape manager every 5 s, even for
// static targets, and no flag shortens that.
package promserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
)

// Binary is the Prometheus executable looked up in PATH.
const Binary = "prometheus"

// Options describe the server to start.
type Options struct {
	// Dir holds prometheus.yml, the data directory and the server's log
	// (required; the caller owns it).
	Dir string
	// ScrapeInterval is how often every target is scraped (default 1s).
	ScrapeInterval time.Duration
	// Targets are host:port addresses scraped at /metrics, as job
	// "gameday".
	Targets []string
	// Jobs are more scrape jobs, each with a name of its own.
	Jobs []Job
	// WebConfig, when set, is written as the --web.config.file (TLS and
	// basic auth of the server's own HTTP API).
	WebConfig string
	// Scheme is "https" when WebConfig turns TLS on (default "http").
	Scheme string
}

// Job is one scrape job: targets scraped at /metrics over plain HTTP.
type Job struct {
	// Name is the job label ("lab").
	Name string
	// Targets are host:port addresses.
	Targets []string
	// TokenFile, when set, holds a bearer token sent with every scrape;
	// Prometheus re-reads it at each scrape (the lab's control token).
	TokenFile string
}

// Server is a running Prometheus.
type Server struct {
	// URL is the server's base URL ("http://127.0.0.1:PORT").
	URL string
	// Addr is its listen address.
	Addr string

	child *proc.Child
	log   string

	stopOnce sync.Once
	stopErr  error
}

// Available reports whether the Prometheus binary is installed
// (scripts/deps.sh installs it).
func Available() bool {
	_, err := exec.LookPath(Binary)
	return err == nil
}

// Start writes the configuration, starts Prometheus and returns once it
// answers /-/ready (or ctx ends, or it exits). A port taken between
// choosing and binding it is retried with another.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("promserver: no directory")
	}
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = time.Second
	}
	if opts.Scheme == "" {
		opts.Scheme = "http"
	}
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return nil, fmt.Errorf("promserver: %w (scripts/deps.sh installs Debian's prometheus package)", err)
	}
	cfg := filepath.Join(opts.Dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config(opts)), 0o600); err != nil {
		return nil, fmt.Errorf("promserver: %w", err)
	}
	args := []string{
		"--config.file=" + cfg,
		"--storage.tsdb.path=" + filepath.Join(opts.Dir, "data"),
		"--log.level=warn",
	}
	if opts.WebConfig != "" {
		web := filepath.Join(opts.Dir, "web.yml")
		if err := os.WriteFile(web, []byte(opts.WebConfig), 0o600); err != nil {
			return nil, fmt.Errorf("promserver: %w", err)
		}
		args = append(args, "--web.config.file="+web)
	}
	var lastErr error
	for range 3 {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		s, err := start(ctx, bin, append(args, "--web.listen-address="+addr), addr, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func start(ctx context.Context, bin string, args []string, addr string, opts Options) (*Server, error) {
	logPath := filepath.Join(opts.Dir, "prometheus.log")
	// A retry on another port starts a fresh log.
	if err := os.Remove(logPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("promserver: %w", err)
	}
	// Its own process group, and killed with us even when we are
	// SIGKILLed (proc.Start): a test or a lab that dies must not leave a
	// Prometheus behind.
	c, err := proc.Start(proc.Spec{Argv: append([]string{bin}, args...), Dir: opts.Dir, Log: logPath})
	if err != nil {
		return nil, fmt.Errorf("promserver: %w", err)
	}
	s := &Server{URL: opts.Scheme + "://" + addr, Addr: addr, child: c, log: logPath}
	if err := s.waitReady(ctx, opts.Scheme); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.child.PID() }

// waitReady polls /-/ready until it answers 200 (any answer at all, over
// TLS or behind basic auth, shows the server is up).
func (s *Server) waitReady(ctx context.Context, scheme string) error {
	client := &http.Client{Timeout: time.Second}
	if scheme == "https" {
		client.Transport = &http.Transport{TLSClientConfig: insecureTLS()}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		resp, err := client.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("promserver: not ready: %w", ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("promserver: not ready within 30s; log: %s", s.tail())
		case <-s.child.Done():
			return fmt.Errorf("promserver: prometheus exited: %s", s.tail())
		case <-tick.C:
		}
	}
}

// Stop terminates the server (SIGTERM, SIGKILL after 10 s) and waits
// until it has exited.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.child.Exited() {
			return
		}
		_ = s.child.Signal(syscall.SIGTERM)
		if s.child.Wait(10 * time.Second) {
			return
		}
		s.stopErr = errors.Join(errors.New("promserver: prometheus ignored SIGTERM for 10s and was killed"), s.child.Stop(0))
	})
	return s.stopErr
}

// Log is the server's log so far, for a failing test to show.
func (s *Server) Log() string { return s.tail() }

func (s *Server) tail() string {
	b, _ := os.ReadFile(s.log)
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// config is prometheus.yml: job "gameday" scraping Targets, then Jobs.
func config(opts Options) string {
	var b strings.Builder
	iv := opts.ScrapeInterval.String()
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", iv, iv, iv)
	jobs := opts.Jobs
	if len(opts.Targets) > 0 {
		jobs = append([]Job{{Name: "gameday", Targets: opts.Targets}}, jobs...)
	}
	if len(jobs) > 0 {
		b.WriteString("scrape_configs:\n")
	}
	for _, j := range jobs {
		fmt.Fprintf(&b, "  - job_name: %s\n", strconv.Quote(j.Name))
		if j.TokenFile != "" {
			fmt.Fprintf(&b, "    authorization:\n      credentials_file: %s\n", strconv.Quote(j.TokenFile))
		}
		b.WriteString("    static_configs:\n      - targets:\n")
		for _, t := range j.Targets {
			fmt.Fprintf(&b, "          - %s\n", strconv.Quote(t))
		}
	}
	return b.String()
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("promserver: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// insecureTLS is for the readiness check only: it asks whether the server
// is up, not whether its certificate is good (the caller's client checks
// that).
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } //nolint:gosec
