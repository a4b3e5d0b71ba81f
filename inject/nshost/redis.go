package nshost

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/targets"
)

// startRedis starts redis-server on h's address, port 6379, with no
// persistence and its files in the host's directory.
func (b *Bed) startRedis(h *Host) error {
	h.RedisAddr = h.Addr + ":6379"
	var err error
	h.redis, err = start(h.NS, filepath.Join(h.dir, "redis.log"), "/usr/bin/redis-server",
		"--bind", h.Addr, "--port", "6379", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--daemonize", "no", "--dir", h.dir)
	return err
}

// Names and ports of a SentinelBed's deployment.
const (
	// MasterName is the master name the bed's Sentinels monitor.
	MasterName = "mymaster"
	// SentinelService is the deployment's name in the bed's inventory.
	SentinelService = "cache"
	// SentinelPort is every Sentinel's port (Redis is on 6379).
	SentinelPort = 26379
)

// SentinelOptions shape the deployment NewSentinel starts.
type SentinelOptions struct {
	// Options are the bed's (SudoUser, …); Redis is implied.
	Options
	// DownAfter is Sentinel's down-after-milliseconds (default 2s, the
	// lab's: 1s makes a busy machine's newly promoted master look down).
	DownAfter time.Duration
	// FailoverTimeout is Sentinel's failover-timeout (default 10s).
	FailoverTimeout time.Duration
}

// SentinelBed is a Bed where every host runs Debian's redis-server (host1
// the first master, the others its replicas) and redis-sentinel on port
// SentinelPort, every Sentinel monitoring MasterName with a quorum of a
// majority, as a hand-built production deployment would be.
type SentinelBed struct {
	*Bed
	opts SentinelOptions

	mu        sync.Mutex
	sentinels map[string]*process // by host name
}

// NewSentinel starts an n-host Sentinel deployment (n ≥ 2) and waits until
// it is green: the Sentinels agree on host1 as master, each knows every
// replica and every other Sentinel, and every replica is in sync. A
// Sentinel elected leader before it has learned the replicas aborts its
// failover ("no good slave"), so tests that fail the master over need all
// of that first.
func NewSentinel(tb testing.TB, n int, opts SentinelOptions) *SentinelBed {
	tb.Helper()
	if n < 2 {
		tb.Fatalf("nshost: a Sentinel deployment needs at least 2 hosts, %d asked for", n)
	}
	for bin, pkg := range map[string]string{"/usr/bin/redis-server": "redis-server", "/usr/bin/redis-sentinel": "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Fatalf("nshost: %s is missing; install Debian's %s (scripts/deps.sh does)", bin, pkg)
		}
	}
	if opts.DownAfter <= 0 {
		opts.DownAfter = 2 * time.Second
	}
	if opts.FailoverTimeout <= 0 {
		opts.FailoverTimeout = 10 * time.Second
	}
	bedOpts := opts.Options
	bedOpts.Redis = false // started here, as replicas, from config files
	s := &SentinelBed{Bed: New(tb, n, bedOpts), opts: opts, sentinels: map[string]*process{}}
	tb.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, p := range s.sentinels {
			p.kill()
		}
	})
	master := s.Hosts[0]
	for i, h := range s.Hosts {
		h.RedisAddr = net.JoinHostPort(h.Addr, "6379")
		replicaOf := ""
		if i > 0 {
			replicaOf = master.Addr + " 6379"
		}
		if err := os.WriteFile(s.redisConf(h), []byte(redisConf(h, replicaOf)), 0o600); err != nil {
			tb.Fatalf("nshost: %v", err)
		}
		if err := s.StartRedis(h); err != nil {
			tb.Fatalf("nshost: %v", err)
		}
	}
	for _, h := range s.Hosts {
		conf := filepath.Join(h.dir, "sentinel.conf")
		if err := os.WriteFile(conf, []byte(s.sentinelConf(h, master)), 0o600); err != nil {
			tb.Fatalf("nshost: %v", err)
		}
		p, err := start(h.NS, filepath.Join(h.dir, "sentinel.log"), "/usr/bin/redis-sentinel", conf)
		if err != nil {
			tb.Fatalf("nshost: %v", err)
		}
		s.mu.Lock()
		s.sentinels[h.Name] = p
		s.mu.Unlock()
		if err := waitListening(s.SentinelAddr(h), p); err != nil {
			tb.Fatalf("nshost: sentinel on %s: %v", h.Name, err)
		}
		if err := tuneSentinel(s.SentinelAddr(h)); err != nil {
			tb.Fatalf("nshost: sentinel on %s: %v", h.Name, err)
		}
	}
	if err := s.WaitGreen(30 * time.Second); err != nil {
		tb.Fatalf("nshost: the Sentinel deployment never got green: %v", err)
	}
	return s
}

// redisConf is one Redis node's config: no persistence, diskless sync
// without delay (an empty dataset syncs in milliseconds), a pidfile that
// the kill fault can select by.
func redisConf(h *Host, replicaOf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bind %s\nport 6379\nprotected-mode no\ndaemonize no\n", h.Addr)
	fmt.Fprintf(&b, "dir %q\nlogfile \"\"\nsave \"\"\nappendonly no\npidfile %q\n", h.dir, RedisPidfile(h))
	b.WriteString("repl-diskless-sync yes\nrepl-diskless-sync-delay 0\nrepl-ping-replica-period 1\n")
	if replicaOf != "" {
		fmt.Fprintf(&b, "replicaof %s\n", replicaOf)
	}
	return b.String()
}

func (s *SentinelBed) redisConf(h *Host) string { return filepath.Join(h.dir, "redis.conf") }

func (s *SentinelBed) sentinelConf(h, master *Host) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bind %s\nport %d\nprotected-mode no\ndaemonize no\ndir %q\nlogfile \"\"\n", h.Addr, SentinelPort, h.dir)
	fmt.Fprintf(&b, "sentinel monitor %s %s 6379 %d\n", MasterName, master.Addr, len(s.Hosts)/2+1)
	fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", MasterName, s.opts.DownAfter.Milliseconds())
	fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", MasterName, s.opts.FailoverTimeout.Milliseconds())
	fmt.Fprintf(&b, "sentinel parallel-syncs %s 1\n", MasterName)
	return b.String()
}

// tuneSentinel asks for INFO every 1 s (not 10 s) and hellos every 0.5 s:
// Sentinel promotes only a replica whose INFO is under 5 s old, so with a
// short down-after the default period makes failovers abort.
func tuneSentinel(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 1, DisableIdentity: true})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Do(ctx, "SENTINEL", "DEBUG", "info-period", 1000, "publish-period", 500).Err()
}

// RedisPidfile is the pidfile of host h's redis-server.
func RedisPidfile(h *Host) string { return filepath.Join(h.dir, "redis.pid") }

// SentinelAddr is host h's Sentinel address.
func (s *SentinelBed) SentinelAddr(h *Host) string {
	return net.JoinHostPort(h.Addr, fmt.Sprint(SentinelPort))
}

// Service describes the deployment as an inventory's services.redis entry.
func (s *SentinelBed) Service() targets.Redis {
	svc := targets.Redis{Name: SentinelService, Master: MasterName}
	for _, h := range s.Hosts {
		svc.Hosts = append(svc.Hosts, h.Name)
		svc.Sentinels = append(svc.Sentinels, s.SentinelAddr(h))
	}
	return svc
}

// Inventory is the bed's inventory with the deployment: the roles as they
// were at start (host1 master, the others replica, every host sentinel) —
// after a failover they are stale, as a hand-written inventory's are.
func (s *SentinelBed) Inventory() *targets.Inventory {
	inv := s.Bed.Inventory()
	for i := range inv.Hosts {
		role := "replica"
		if i == 0 {
			role = "master"
		}
		inv.Hosts[i].Roles = []string{role, "sentinel"}
	}
	inv.Services.Redis = []targets.Redis{s.Service()}
	return inv
}

// WriteInventory writes Inventory() as inventory.yaml in the bed's
// directory and returns its path.
func (s *SentinelBed) WriteInventory() string {
	s.tb.Helper()
	return s.writeInventory(s.Inventory())
}

// StartRedis starts host h's redis-server from its config file (again,
// after KillRedis: Sentinel then turns an old master into a replica).
func (s *SentinelBed) StartRedis(h *Host) error {
	p, err := start(h.NS, filepath.Join(h.dir, "redis.log"), "/usr/bin/redis-server", s.redisConf(h))
	if err != nil {
		return err
	}
	h.redis = p
	return waitListening(h.RedisAddr, p)
}

// KillRedis SIGKILLs host h's redis-server and waits until it is gone.
func (s *SentinelBed) KillRedis(h *Host) { h.redis.kill() }

// Master returns the host of the master the Sentinels agree on now.
func (s *SentinelBed) Master() (*Host, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	addr, err := targets.AskSentinels(ctx, s.Service()).Agreed()
	if err != nil {
		return nil, err
	}
	return s.hostAt(addr)
}

func (s *SentinelBed) hostAt(addr string) (*Host, error) {
	for _, h := range s.Hosts {
		if h.RedisAddr == addr {
			return h, nil
		}
	}
	return nil, fmt.Errorf("no host of the bed has Redis at %s", addr)
}

// WaitMaster waits until the Sentinels agree on a master other than old
// and that node says it is a master, and returns its host.
func (s *SentinelBed) WaitMaster(old *Host, within time.Duration) (*Host, error) {
	var last error
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		h, err := s.Master()
		if err != nil {
			last = err
			continue
		}
		if h == old {
			last = fmt.Errorf("the Sentinels still name %s", old.Name)
			continue
		}
		if role, err := s.role(h); err != nil || role != "master" {
			last = fmt.Errorf("%s is named master but says role %q (%v)", h.Name, role, err)
			continue
		}
		return h, nil
	}
	return nil, fmt.Errorf("no new master within %s: %v%s", within, last, s.logs())
}

// Isolate cuts host h off from the other hosts of the bed (iptables DROP
// both ways in h's namespace) while the test process still reaches it: a
// master isolated so keeps taking writes while its peers elect another.
func (s *SentinelBed) Isolate(h *Host) {
	s.tb.Helper()
	s.peerRules(h, "-A")
}

// Heal undoes Isolate.
func (s *SentinelBed) Heal(h *Host) {
	s.tb.Helper()
	s.peerRules(h, "-D")
}

// peerRules appends (-A) or deletes (-D) the DROP rules between h and each
// other host of the bed, so that Heal removes exactly what Isolate added.
func (s *SentinelBed) peerRules(h *Host, op string) {
	s.tb.Helper()
	for _, peer := range s.Hosts {
		if peer != h {
			s.Exec(h, "iptables", op, "INPUT", "-s", peer.Addr, "-j", "DROP")
			s.Exec(h, "iptables", op, "OUTPUT", "-d", peer.Addr, "-j", "DROP")
		}
	}
}

// WaitSplit waits, after Isolate(old), until every other host's Sentinel
// names one new master and that node says it is master, while old's
// Sentinel still names old: split brain. It returns the new master; on
// timeout the error carries every Sentinel's log. A Sentinel whose
// election fails waits twice the failover-timeout before it tries again,
// so allow for that on a busy machine.
func (s *SentinelBed) WaitSplit(old *Host, within time.Duration) (*Host, error) {
	var last error
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		view := targets.AskSentinels(ctx, s.Service())
		cancel()
		last = nil
		newMaster := ""
		for i, a := range view.Answers {
			switch {
			case a.Err != nil:
				last = fmt.Errorf("sentinel %s: %v", a.Sentinel, a.Err)
			case s.Hosts[i] == old && a.Master != old.RedisAddr:
				last = fmt.Errorf("the isolated sentinel %s already names %s", a.Sentinel, a.Master)
			case s.Hosts[i] == old:
			case a.Master == old.RedisAddr:
				last = fmt.Errorf("sentinel %s still names %s", a.Sentinel, old.Name)
			case newMaster != "" && a.Master != newMaster:
				last = fmt.Errorf("the other sentinels disagree (%s, %s)", newMaster, a.Master)
			default:
				newMaster = a.Master
			}
		}
		if last != nil {
			continue
		}
		h, err := s.hostAt(newMaster)
		if err != nil {
			return nil, err
		}
		if role, err := s.role(h); err != nil || role != "master" {
			last = fmt.Errorf("%s is named master but says role %q (%v)", h.Name, role, err)
			continue
		}
		return h, nil
	}
	return nil, fmt.Errorf("no split brain within %s: %v%s", within, last, s.logs())
}

// logs returns every Sentinel's log, for failure messages.
func (s *SentinelBed) logs() string {
	var b strings.Builder
	for _, h := range s.Hosts {
		fmt.Fprintf(&b, "\n--- sentinel on %s:\n%s", h.Name, s.SentinelLog(h))
	}
	return b.String()
}

// WaitGreen waits until the Sentinels agree on a master, each knows every
// other Sentinel and every replica, and every replica is in sync with the
// master.
func (s *SentinelBed) WaitGreen(within time.Duration) error {
	var last error
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last = s.green(); last == nil {
			return nil
		}
	}
	return last
}

func (s *SentinelBed) green() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	view := targets.AskSentinels(ctx, s.Service())
	master, err := view.Agreed()
	if err != nil {
		return err
	}
	for _, a := range view.Answers {
		if a.Err != nil {
			return fmt.Errorf("sentinel %s: %v", a.Sentinel, a.Err)
		}
		if a.Peers != len(s.Hosts)-1 || len(a.Replicas) != len(s.Hosts)-1 {
			return fmt.Errorf("sentinel %s knows %d other sentinels and %d replicas", a.Sentinel, a.Peers, len(a.Replicas))
		}
	}
	for _, h := range s.Hosts {
		if h.RedisAddr == master {
			continue
		}
		info, err := s.info(h)
		if err != nil {
			return err
		}
		if targets.InfoField(info, "role") != "slave" || targets.InfoField(info, "master_link_status") != "up" ||
			net.JoinHostPort(targets.InfoField(info, "master_host"), targets.InfoField(info, "master_port")) != master {
			return fmt.Errorf("%s is not an in-sync replica of %s", h.Name, master)
		}
	}
	return nil
}

// role returns what host h's Redis says it is ("master", "slave").
func (s *SentinelBed) role(h *Host) (string, error) {
	info, err := s.info(h)
	return targets.InfoField(info, "role"), err
}

func (s *SentinelBed) info(h *Host) (string, error) {
	c := redis.NewClient(&redis.Options{Addr: h.RedisAddr, MaxRetries: -1, PoolSize: 1, DisableIdentity: true,
		DialTimeout: time.Second, ReadTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return "", fmt.Errorf("%s: INFO replication: %w", h.Name, err)
	}
	return info, nil
}

// SentinelLog returns what host h's Sentinel has logged, for failure
// messages.
func (s *SentinelBed) SentinelLog(h *Host) string {
	b, _ := os.ReadFile(filepath.Join(h.dir, "sentinel.log"))
	return string(b)
}
