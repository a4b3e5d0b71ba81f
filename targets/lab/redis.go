package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/redis/go-redis/v9"
)

// MasterName is the Sentinel master name of the lab's Redis.
const MasterName = "mymaster"

// Paths of the Debian binaries the lab runs.
var (
	redisServerBin   = "/usr/bin/redis-server"
	redisSentinelBin = "/usr/bin/redis-sentinel"
)

// checkRedisBinaries says in one sentence which Debian package is missing.
func checkRedisBinaries() error {
	var missing []string
	for bin, pkg := range map[string]string{redisServerBin: "redis-server", redisSentinelBin: "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", bin, pkg))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the lab needs %s: install them with `apt-get install redis-server redis-sentinel` (or run scripts/deps.sh)", strings.Join(missing, " and "))
	}
	return nil
}

// nodeIP is a node's own loopback address: redis-N is 127.0.0.1N and
// sentinel-N 127.0.0.2N. Each node binds it and opens its own connections
// from it, so relays can tell who is calling.
func nodeIP(name string) string {
	var kind string
	var n int
	if _, err := fmt.Sscanf(strings.Replace(name, "-", " ", 1), "%s %d", &kind, &n); err != nil {
		return "127.0.0.1"
	}
	switch kind {
	case labapi.KindRedis:
		return fmt.Sprintf("127.0.0.%d", 10+n)
	case labapi.KindSentinel:
		return fmt.Sprintf("127.0.0.%d", 20+n)
	}
	return "127.0.0.1"
}

// redisConfig is a Redis node's config. The node listens on its own address
// but announces its public one (its relay), so replicas, Sentinels and
// clients all reach it through the relay and proxy that stand for its
// network; its own connections leave from its own address.
func redisConfig(ip string, port int, dataDir, public, replicaOf string) string {
	host, pport, _ := net.SplitHostPort(public)
	var b strings.Builder
	fmt.Fprintf(&b, "bind %s\nbind-source-addr %s\nport %d\nprotected-mode no\ndaemonize no\n", ip, ip, port)
	fmt.Fprintf(&b, "dir %q\nlogfile \"\"\nsave \"\"\nappendonly no\n", dataDir)
	fmt.Fprintf(&b, "replica-announce-ip %s\nreplica-announce-port %s\n", host, pport)
	// Diskless sync without delay: an empty lab dataset syncs in
	// milliseconds instead of the default 5 s wait.
	b.WriteString("repl-diskless-sync yes\nrepl-diskless-sync-delay 0\nrepl-ping-replica-period 1\n")
	if replicaOf != "" {
		mh, mp, _ := net.SplitHostPort(replicaOf)
		fmt.Fprintf(&b, "replicaof %s %s\n", mh, mp)
	}
	return b.String()
}

// sentinelConfig monitors the master through its public address and
// announces the Sentinel's own, so other Sentinels reach it — and vote
// with it — only through the relay and proxy that stand for its network.
func sentinelConfig(ip string, port int, dataDir, master, public string, downAfter, failoverTimeout time.Duration) string {
	mh, mp, _ := net.SplitHostPort(master)
	ah, ap, _ := net.SplitHostPort(public)
	var b strings.Builder
	fmt.Fprintf(&b, "bind %s\nbind-source-addr %s\nport %d\nprotected-mode no\ndaemonize no\n", ip, ip, port)
	fmt.Fprintf(&b, "sentinel announce-ip %s\nsentinel announce-port %s\n", ah, ap)
	fmt.Fprintf(&b, "dir %q\nlogfile \"\"\n", dataDir)
	fmt.Fprintf(&b, "sentinel monitor %s %s %s 2\n", MasterName, mh, mp)
	fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", MasterName, downAfter.Milliseconds())
	fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", MasterName, failoverTimeout.Milliseconds())
	fmt.Fprintf(&b, "sentinel parallel-syncs %s 1\n", MasterName)
	return b.String()
}

// tuneSentinel shortens two Sentinel periods that its config cannot set.
// INFO to replicas every 1 s instead of 10 s: when a master dies, Sentinel
// only promotes a replica whose INFO is under 5 s old, so with the lab's
// 2 s down-after a 10 s period makes every other failover abort
// ("-failover-abort-no-good-slave") and wait 2 × failover-timeout. Hello
// messages every 0.5 s instead of 2 s: Sentinels find each other sooner.
// The settings live in the process, so a restarted Sentinel is tuned again.
func tuneSentinel(ctx context.Context, c *child) error {
	return answer(ctx, c, "SENTINEL", "DEBUG", "info-period", 1000, "publish-period", 500)
}

// answer sends a command to a node until it succeeds: a node that answers
// is started, not only spawned. It gives up when the node exits or ctx
// ends.
func answer(ctx context.Context, c *child, args ...any) error {
	rc := redis.NewClient(&redis.Options{Addr: c.listen, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
	defer rc.Close()
	for {
		err := rc.Do(ctx, args...).Err()
		if err == nil {
			return nil
		}
		if _, st := c.status(); st == labapi.StateStopped {
			return fmt.Errorf("%s exited at start-up; see %s", c.name, c.logPath)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s does not answer %v: %w", c.name, args[0], err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// prepareRedisChild writes a node's data dir and config under dir and
// fills in how to run it (without starting it).
func prepareRedisChild(c *child, dir, conf string, faketime bool) error {
	c.dataDir = filepath.Join(dir, c.name)
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir of %s: %w", c.name, err)
	}
	confPath := filepath.Join(dir, c.name+".conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("write config of %s: %w", c.name, err)
	}
	c.argv = []string{redisServerBin, confPath}
	if c.kind == labapi.KindSentinel {
		c.argv[0] = redisSentinelBin
	}
	c.logPath = filepath.Join(dir, c.name+".log")
	if faketime {
		file, err := faketimeFile(dir, c.name)
		if err != nil {
			return err
		}
		c.faketime = file
	}
	return nil
}

// redisClient is a short-timeout client for health checks and tests.
func redisClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:         addr,
		DialTimeout:  500 * time.Millisecond,
		ReadTimeout:  500 * time.Millisecond,
		WriteTimeout: 500 * time.Millisecond,
		MaxRetries:   -1,
		PoolSize:     2,
	})
}

// redisHealth asks every Sentinel for the master, then every node through
// its proxy for its replication state.
func redisHealth(ctx context.Context, sentinels, nodes []*child, wantReplicas int) labapi.RedisHealth {
	h := labapi.RedisHealth{Sentinels: map[string]string{}}
	agreed := ""
	for i, s := range sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.proxyAddr, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
		addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
		others, replicas := 0, 0
		if err == nil {
			var ss []map[string]string
			ss, err = sc.Sentinels(ctx, MasterName).Result()
			others = len(ss)
		}
		if err == nil {
			// A Sentinel that has not yet learned the replicas from the
			// master's INFO cannot fail over ("no good slave"): the lab is
			// not green until every Sentinel knows every replica.
			var rs []map[string]string
			rs, err = sc.Replicas(ctx, MasterName).Result()
			replicas = len(rs)
		}
		sc.Close()
		if err != nil {
			h.Problem = fmt.Sprintf("%s: %v", s.name, err)
			return h
		}
		m := net.JoinHostPort(addr[0], addr[1])
		h.Sentinels[s.name] = m
		if i == 0 {
			agreed = m
		} else if m != agreed {
			h.Problem = fmt.Sprintf("sentinels disagree: %s names %s, %s names %s", sentinels[0].name, agreed, s.name, m)
			return h
		}
		if others < len(sentinels)-1 {
			h.Problem = fmt.Sprintf("%s knows %d of %d other sentinels", s.name, others, len(sentinels)-1)
			return h
		}
		if replicas < wantReplicas {
			h.Problem = fmt.Sprintf("%s knows %d of %d replicas", s.name, replicas, wantReplicas)
			return h
		}
	}
	h.Master = agreed
	for _, n := range nodes {
		if n.proxyAddr == agreed {
			continue
		}
		c := redisClient(n.proxyAddr)
		info, err := c.Info(ctx, "replication").Result()
		c.Close()
		if err != nil {
			h.Problem = fmt.Sprintf("%s: %v", n.name, err)
			continue
		}
		if targets.InfoField(info, "role") == "slave" && targets.InfoField(info, "master_link_status") == "up" &&
			net.JoinHostPort(targets.InfoField(info, "master_host"), targets.InfoField(info, "master_port")) == agreed {
			h.ReplicasUp++
		} else if h.Problem == "" {
			h.Problem = fmt.Sprintf("%s is not an in-sync replica of %s", n.name, agreed)
		}
	}
	if h.Problem == "" && h.ReplicasUp < wantReplicas {
		h.Problem = fmt.Sprintf("%d of %d replicas in sync", h.ReplicasUp, wantReplicas)
	}
	return h
}
