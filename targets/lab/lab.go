// Package lab starts gameday's local practice cluster on loopback: Redis
// with Sentinels behind Toxiproxy, and kfake Kafka brokers with a steady
// producer and a committing consumer group. It writes an inventory for it
// and serves a control API through which faults reach the lab's nodes.
package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/internal/promserver"
	"github.com/gameday-dev/gameday/internal/xdg"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// Options configures a lab.
type Options struct {
	// Dir holds the lab's state, configs, data and inventory.yaml
	// (default: $XDG_STATE_HOME/gameday/lab).
	Dir string
	// DownAfter is Sentinel's down-after-milliseconds (default 2s).
	DownAfter time.Duration
	// FailoverTimeout is Sentinel's failover-timeout (default 10s).
	FailoverTimeout time.Duration
	// NoKafka and NoRedis leave a part out (tests that need only one).
	// NoKafka leaves out every Kafka: the kfake brokers and, with Full,
	// the real brokers too (a Cassandra-only full lab).
	NoKafka, NoRedis bool
	// NoKfake leaves out the kfake brokers only: with Full, the real
	// Kafka brokers still start (tests of the real clusters).
	NoKfake bool
	// Faketime runs Redis and Sentinel under libfaketime so clock-drift
	// faults can move one node's clock. Start checks first that
	// redis-server survives libfaketime; Debian 12's does not (see
	// docs/lab.md), and Start then fails with one clear sentence.
	Faketime bool
	// Full adds the real clusters: 3 Apache Kafka brokers (KRaft) and 3
	// Apache Cassandra nodes from Maven Central jars (see docs/lab.md).
	Full bool
	// DataTmpfsMB, with Full, mounts a tmpfs of that many MiB on every real
	// Kafka broker's log dir, so disk-fill fills a small filesystem.
	DataTmpfsMB int
	// SSH, with Full, runs every real Kafka broker and Cassandra node on a
	// namespace host of its own (own address on a lab bridge, own PID
	// namespace, own Debian sshd) and lists them in the inventory as
	// ordinary SSH hosts, so faults on them take the production path: the
	// SSH executor, its guards, its ledger. Needs root.
	SSH bool
	// CassandraDCs, with Full, sizes the real Cassandra cluster per
	// datacenter: default one datacenter ("datacenter1") of 3 nodes; with
	// two or more, datacenters dc1, dc2, …, nodes tagged with theirs, the
	// keyspace replicated per datacenter (NetworkTopologyStrategy).
	CassandraDCs []int
	// ToxiproxyAPI serves the embedded Toxiproxy's own HTTP API on a
	// loopback port (written to the inventory as lab.toxiproxy) for tools
	// that speak it. Off by default: that API has no authentication, and
	// the control API (with the lab's token) does everything it would.
	ToxiproxyAPI bool
	// NoPrometheus leaves out the lab's Prometheus (tests that do not
	// need it).
	NoPrometheus bool
	// Scrape are gameday /metrics endpoints (host:port, the
	// --metrics-listen address) the lab's Prometheus scrapes as job
	// "gameday", besides the lab's own exporter.
	Scrape []string
	// Progress, when set, receives one line per start-up step.
	Progress func(string)
}

// kfake tells whether the lab starts its kfake brokers.
func (o Options) kfake() bool { return !o.NoKafka && !o.NoKfake }

// realClusters names the real clusters a full lab starts (none without
// Full): Kafka unless NoKafka, and Cassandra.
func (o Options) realClusters() []string {
	switch {
	case !o.Full:
		return nil
	case o.NoKafka:
		return []string{labapi.KindCassandra}
	}
	return []string{labapi.KindKafka, labapi.KindCassandra}
}

// defaults fills unset options and makes Dir absolute.
func (o *Options) defaults() error {
	if o.DownAfter <= 0 {
		o.DownAfter = 2 * time.Second
	}
	if o.FailoverTimeout <= 0 {
		o.FailoverTimeout = 10 * time.Second
	}
	if o.Dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return err
		}
		o.Dir = d
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("lab dir %s: %w", o.Dir, err)
	}
	o.Dir = abs
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	return nil
}

// DefaultDir is $XDG_STATE_HOME/gameday/lab, or ~/.local/state/gameday/lab
// when it is unset or relative: beside the journals (timeline.StateDir).
func DefaultDir() (string, error) {
	dir, err := xdg.Dir("XDG_STATE_HOME", ".local/state", "lab")
	if err != nil {
		return "", fmt.Errorf("find the lab dir: %w", err)
	}
	return dir, nil
}

// Lab is a running lab.
type Lab struct {
	opts Options
	inv  *targets.Inventory

	px        *proxies
	relays    []*relay
	redis     []*child
	sentinels []*child
	kafka     *kafkaLab
	full      *fullLab // lab --full: real Kafka and Cassandra
	ctl       *controlServer
	prom      *promserver.Server // nil without Prometheus
	guards    *guardSet
	started   labapi.RedisHealth // Redis health when the lab turned green
	doMu      sync.Mutex         // serialises actions from the API and guards

	stopOnce sync.Once
	stopErr  error
}

// Start brings the lab up and waits until it is healthy (Sentinels agree on
// a master, replicas in sync, the Kafka group committing). Without a
// deadline on ctx, it gives up after 30 s. On failure nothing is left
// running.
func Start(ctx context.Context, opts Options) (*Lab, error) {
	began := time.Now()
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		limit := 30 * time.Second
		if opts.Full {
			limit = 5 * time.Minute // JVMs on 2 cores
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	if !opts.NoRedis {
		if err := checkRedisBinaries(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lab dir: %w", err)
	}
	if err := claimPidfile(opts.Dir); err != nil {
		return nil, err
	}
	if err := sweepDeadLabs(opts.Progress); err != nil && opts.Full {
		// A dead lab's DROP rules could cut this lab's new nodes.
		return nil, err
	}
	var l *Lab
	for attempt := 1; ; attempt++ {
		l = &Lab{opts: opts}
		err := l.start(ctx)
		if err == nil {
			break
		}
		l.Stop()
		// Redis ports are chosen free, then released before redis-server
		// binds them; a parallel test can take one in between. Try again
		// with fresh ports.
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			return nil, err
		}
		opts.Progress(fmt.Sprintf("lab: %v; retrying with fresh ports", err))
		if err := claimPidfile(opts.Dir); err != nil {
			return nil, err
		}
	}
	opts.Progress(fmt.Sprintf("lab: all green in %s", time.Since(began).Round(10*time.Millisecond)))
	return l, nil
}

func (l *Lab) start(ctx context.Context) error {
	o := l.opts
	if err := cleanNodeFiles(o.Dir); err != nil {
		return err
	}
	guards, err := loadGuards(o.Dir)
	if err != nil {
		return err
	}
	l.guards = guards
	px, err := startProxies(o.ToxiproxyAPI)
	if err != nil {
		return err
	}
	l.px = px
	if !o.NoRedis {
		if err := l.startRedis(ctx); err != nil {
			return err
		}
		o.Progress(fmt.Sprintf("redis: 3 nodes and 3 sentinels started, each behind its toxiproxy proxy (quorum 2, down-after %s, failover-timeout %s)", o.DownAfter, o.FailoverTimeout))
	}
	if o.kfake() {
		k, err := startKafka()
		if err != nil {
			return err
		}
		l.kafka = k
		// kfake keeps its log in memory; each broker still gets a data dir
		// so disk-fill has a filesystem to fill on a Kafka lab host.
		for i := range k.addrs {
			if err := os.MkdirAll(filepath.Join(o.Dir, fmt.Sprintf("kafka-%d", i+1)), 0o700); err != nil {
				return fmt.Errorf("create kafka data dir: %w", err)
			}
		}
		o.Progress(fmt.Sprintf("kafka: 3 kfake brokers on %s, topic %s (%d partitions), producer and group %s started", strings.Join(k.addrs, ","), KafkaTopic, KafkaPartitions, KafkaGroup))
	}
	if err := l.waitGreen(ctx); err != nil {
		return err
	}
	if o.Full {
		if err := l.startFull(ctx); err != nil {
			return err
		}
	}
	ctl, err := startControl(l)
	if err != nil {
		return err
	}
	l.ctl = ctl
	if !o.NoPrometheus {
		if err := l.startPrometheus(ctx); err != nil {
			return err
		}
	}
	l.inv = l.buildInventory()
	if err := writeInventory(l.InventoryPath(), l.inv); err != nil {
		return err
	}
	// Reverts left by a lab that died with guards pending run now, on the
	// new nodes, and are recorded as fired so the inject ledger learns the
	// faults are gone.
	if n := l.guards.runOrphans(l); n > 0 {
		o.Progress(fmt.Sprintf("guards: ran the reverts of %d guards left by the previous lab", n))
	}
	return nil
}

// startRedis creates each node's relay and proxy, writes the configs and
// starts the Redis nodes and Sentinels.
func (l *Lab) startRedis(ctx context.Context) error {
	o := l.opts
	if o.Faketime {
		if err := checkFaketime(o.Dir); err != nil {
			return err
		}
	}
	names := []string{"redis-1", "redis-2", "redis-3", "sentinel-1", "sentinel-2", "sentinel-3"}
	ips := make([]string, len(names))
	for i, n := range names {
		ips[i] = nodeIP(n)
	}
	ports, err := pickPorts(ips)
	if err != nil {
		return err
	}
	// Every node: its own address, a Toxiproxy proxy in front of it, and a
	// relay in front of the proxy whose address is the node's public one.
	nodes := make([]*child, len(names))
	for i, n := range names {
		listen := net.JoinHostPort(ips[i], strconv.Itoa(ports[i]))
		pxAddr, err := l.px.add(n, listen)
		if err != nil {
			return err
		}
		r, err := newRelay(pxAddr)
		if err != nil {
			return fmt.Errorf("relay for %s: %w", n, err)
		}
		l.relays = append(l.relays, r)
		nodes[i] = &child{name: n, ip: ips[i], listen: listen, proxy: n, proxyAddr: r.addr(), relay: r}
	}
	master := nodes[0].proxyAddr
	for i, c := range nodes {
		var conf string
		if i < 3 {
			c.kind = labapi.KindRedis
			replicaOf := master
			if i == 0 {
				replicaOf = ""
			}
			conf = redisConfig(c.ip, ports[i], filepath.Join(o.Dir, c.name), c.proxyAddr, replicaOf)
		} else {
			c.kind = labapi.KindSentinel
			conf = sentinelConfig(c.ip, ports[i], filepath.Join(o.Dir, c.name), master, c.proxyAddr, o.DownAfter, o.FailoverTimeout)
		}
		if err := prepareRedisChild(c, o.Dir, conf, o.Faketime); err != nil {
			return err
		}
		if i < 3 {
			l.redis = append(l.redis, c)
		} else {
			l.sentinels = append(l.sentinels, c)
		}
	}
	for _, c := range nodes {
		if err := c.start(); err != nil {
			return err
		}
	}
	for _, c := range l.sentinels {
		if err := tuneSentinel(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// waitGreen polls until Redis and Kafka are healthy, reporting each part
// once when it turns green.
func (l *Lab) waitGreen(ctx context.Context) error {
	began := time.Now()
	redisOK, kafkaOK := l.opts.NoRedis, !l.opts.kfake()
	var last string
	for {
		if !redisOK {
			h := redisHealth(ctx, l.sentinels, l.redis, 2)
			if h.Green() {
				redisOK = true
				l.started = h
				l.opts.Progress(fmt.Sprintf("redis: sentinels agree on master %s (%s), 2 replicas in sync after %s", h.Master, l.nodeByProxy(h.Master), time.Since(began).Round(10*time.Millisecond)))
			} else {
				last = "redis: " + h.Problem
				for _, c := range append(append([]*child{}, l.redis...), l.sentinels...) {
					if _, st := c.status(); st == labapi.StateStopped {
						if logSays(c.logPath, "Address already in use") {
							return fmt.Errorf("%s: %w", c.name, errPortTaken)
						}
						return fmt.Errorf("%s exited during start-up; see %s", c.name, c.logPath)
					}
				}
			}
		}
		if !kafkaOK {
			lag, committed, err := l.kafka.lag(ctx)
			switch {
			case err != nil:
				last = "kafka: " + err.Error()
			case !committed:
				last = "kafka: group " + KafkaGroup + " has not committed yet"
			default:
				kafkaOK = true
				l.opts.Progress(fmt.Sprintf("kafka: group %s committing, lag %d, after %s", KafkaGroup, lag, time.Since(began).Round(10*time.Millisecond)))
			}
		}
		if redisOK && kafkaOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the lab did not turn green within %s (%s)", time.Since(began).Round(time.Second), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errPortTaken is a node losing its port to another process at start-up.
var errPortTaken = errors.New("its port was taken by another process")

// logSays reports whether a node's log contains s.
func logSays(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

func (l *Lab) lastHealth() labapi.RedisHealth { return l.started }

// nodeByProxy names the Redis node whose proxy has addr.
func (l *Lab) nodeByProxy(addr string) string {
	for _, c := range l.redis {
		if c.proxyAddr == addr {
			return c.name
		}
	}
	return "unknown node"
}

// Inventory returns the lab's inventory (also written to InventoryPath).
func (l *Lab) Inventory() *targets.Inventory { return l.inv }

// InventoryPath is where the lab wrote its inventory.yaml.
func (l *Lab) InventoryPath() string { return filepath.Join(l.opts.Dir, "inventory.yaml") }

// Dir is the lab's state directory.
func (l *Lab) Dir() string { return l.opts.Dir }

// Stop reverts every fault the lab's guards still hold, stops every child
// and waits for them; nothing is left running. Stop is idempotent.
func (l *Lab) Stop() error {
	l.stopOnce.Do(func() { l.stopErr = l.stop() })
	return l.stopErr
}

func (l *Lab) stop() error {
	var errs []error
	if l.guards != nil {
		errs = append(errs, l.guards.revertAll(l, "lab stopped"))
	}
	if l.prom != nil {
		errs = append(errs, l.prom.Stop())
	}
	if l.ctl != nil {
		l.ctl.close()
	}
	if l.kafka != nil {
		l.kafka.close()
	}
	if l.full != nil {
		errs = append(errs, l.full.stop())
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range append(append([]*child{}, l.sentinels...), l.redis...) {
		wg.Go(func() {
			if err := c.stop(3 * time.Second); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, r := range l.relays {
		r.close()
	}
	if l.px != nil {
		l.px.close()
	}
	if err := os.Remove(pidfilePath(l.opts.Dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove lab pidfile: %w", err))
	}
	return errors.Join(errs...)
}

// cleanNodeFiles removes what a previous lab left in dir (configs, logs,
// data, inventory) but keeps the guard files, whose pending reverts still
// have to run.
func cleanNodeFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read lab dir: %w", err)
	}
	for _, e := range entries {
		n := e.Name()
		if n == labapi.GuardsFile || n == labapi.FiredFile || n == labapi.FlapFile || n == pidfileName {
			continue
		}
		if strings.HasPrefix(n, "redis-") || strings.HasPrefix(n, "sentinel-") || strings.HasPrefix(n, "kafka-") || n == "inventory.yaml" || n == prometheusDir {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("clean previous lab file %s: %w", n, err)
			}
		}
	}
	return nil
}
