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

// redisConfig is a Redis node's config. The node listens on its own port
// but announces its proxy, so replicas, Sentinels and clients all reach it
// through the proxy that stands for its network.
func redisConfig(listenPort int, dataDir, proxyAddr, masterProxy string) string {
	host, port, _ := net.SplitHostPort(proxyAddr)
	var b strings.Builder
	fmt.Fprintf(&b, "bind 127.0.0.1\nport %d\nprotected-mode no\ndaemonize no\n", listenPort)
	fmt.Fprintf(&b, "dir %s\nlogfile \"\"\nsave \"\"\nappendonly no\n", dataDir)
	fmt.Fprintf(&b, "replica-announce-ip %s\nreplica-announce-port %s\n", host, port)
	// Diskless sync without delay: an empty lab dataset syncs in
	// milliseconds instead of the default 5 s wait.
	b.WriteString("repl-diskless-sync yes\nrepl-diskless-sync-delay 0\nrepl-ping-replica-period 1\n")
	if masterProxy != "" {
		mh, mp, _ := net.SplitHostPort(masterProxy)
		fmt.Fprintf(&b, "replicaof %s %s\n", mh, mp)
	}
	return b.String()
}

// sentinelConfig monitors the master through its proxy address and
// announces the Sentinel's own proxy, so other Sentinels reach it — and
// vote with it — only through the proxy that stands for its network.
func sentinelConfig(port int, dataDir, masterProxy, ownProxy string, downAfter, failoverTimeout time.Duration) string {
	mh, mp, _ := net.SplitHostPort(masterProxy)
	ah, ap, _ := net.SplitHostPort(ownProxy)
	var b strings.Builder
	fmt.Fprintf(&b, "bind 127.0.0.1\nport %d\nprotected-mode no\ndaemonize no\n", port)
	fmt.Fprintf(&b, "sentinel announce-ip %s\nsentinel announce-port %s\n", ah, ap)
	fmt.Fprintf(&b, "dir %s\nlogfile \"\"\n", dataDir)
	fmt.Fprintf(&b, "sentinel monitor %s %s %s 2\n", MasterName, mh, mp)
	fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", MasterName, downAfter.Milliseconds())
	fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", MasterName, failoverTimeout.Milliseconds())
	fmt.Fprintf(&b, "sentinel parallel-syncs %s 1\n", MasterName)
	return b.String()
}

// newRedisChild prepares (but does not start) a Redis or Sentinel node:
// data dir, config file and log path under dir.
func newRedisChild(dir, name, kind, conf string, listen string, ft *faketime) (*child, error) {
	dataDir := filepath.Join(dir, name)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir of %s: %w", name, err)
	}
	confPath := filepath.Join(dir, name+".conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("write config of %s: %w", name, err)
	}
	c := &child{
		name:    name,
		kind:    kind,
		bin:     redisServerBin,
		args:    []string{confPath},
		logPath: filepath.Join(dir, name+".log"),
		dataDir: dataDir,
		listen:  listen,
	}
	if kind == KindSentinel {
		c.bin = redisSentinelBin
	}
	if ft != nil {
		env, file, err := ft.setup(dir, name)
		if err != nil {
			return nil, err
		}
		c.env, c.faketime = env, file
	}
	return c, nil
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

// RedisHealth is what the Sentinels and nodes say about the deployment.
type RedisHealth struct {
	// Master is the master address every Sentinel agrees on ("" if they
	// disagree or cannot be reached).
	Master string
	// Sentinels maps each Sentinel to the master it names.
	Sentinels map[string]string
	// ReplicasUp counts replicas of Master with master_link_status:up.
	ReplicasUp int
	// Problem is the first thing that keeps the deployment from green.
	Problem string
}

// Green reports whether the Sentinels agree and both replicas are in sync.
func (h RedisHealth) Green() bool { return h.Problem == "" }

// redisHealth asks every Sentinel for the master, then every node through
// its proxy for its replication state.
func redisHealth(ctx context.Context, sentinels, nodes []*child, wantReplicas int) RedisHealth {
	h := RedisHealth{Sentinels: map[string]string{}}
	agreed := ""
	for i, s := range sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.proxyAddr, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
		addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
		others := 0
		if err == nil {
			var ss []map[string]string
			ss, err = sc.Sentinels(ctx, MasterName).Result()
			others = len(ss)
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
		if infoField(info, "role") == "slave" && infoField(info, "master_link_status") == "up" &&
			net.JoinHostPort(infoField(info, "master_host"), infoField(info, "master_port")) == agreed {
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

// infoField returns one "key:value" field of an INFO reply.
func infoField(info, key string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			return v
		}
	}
	return ""
}
