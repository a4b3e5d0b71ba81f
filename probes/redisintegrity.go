package probes

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/targets"
)

// RedisIntegrityHorizon is how long redis.integrity keeps reading an
// acknowledged key back: a failover minutes after a write (Sentinel's
// default down-after is 30 s, its failover timeout 3 min) still loses it,
// so one read right after the write would prove nothing.
const RedisIntegrityHorizon = 5 * time.Minute

// redisIntegrityMaxPending bounds the keys waiting to be read back while
// the Sentinels disagree for long (at 10 writes/s, almost 3 hours); the
// oldest are then given up, and counted as unverified.
const redisIntegrityMaxPending = 100_000

// redisReadBatch is how many keys one MGET reads back.
const redisReadBatch = 500

// redisIntegrity is the writer of the redis.integrity probe (a
// lostWriteProbe): a lost-write detector for Sentinel failovers. Each
// round writes a fresh key through a Sentinel-aware client, as an
// application does (to whichever node it takes for the master), and
// remembers each acknowledged key with the node that acknowledged it.
// Each report interval every remembered key is read back from the master
// the Sentinels agree on at that moment; one that is not there was
// acknowledged and lost — split brain: a master cut off from its peers
// kept taking writes, then was demoted and resynced from the new master.
// Keys are read back until RedisIntegrityHorizon after their write. While
// the Sentinels do not agree the read-back waits, and says so.
type redisIntegrity struct {
	svc  targets.Redis
	cfg  Config
	opts Options
	run  string // key prefix unique to this run

	client *redis.Client // writes, through the Sentinels

	mu         sync.Mutex
	pending    []ackedWrite             // in write order
	readers    map[string]*redis.Client // by master address
	unverified int64                    // given up past redisIntegrityMaxPending
}

// ackedWrite is a key a Redis node acknowledged.
type ackedWrite struct {
	key string
	by  string // the address of the node that acknowledged it, when known
	at  time.Time
}

func newRedisIntegrity(svc targets.Redis, cfg Config, opts Options) *lostWriteProbe {
	return newRedisWriter(svc, cfg, opts).probe()
}

func newRedisWriter(svc targets.Redis, cfg Config, opts Options) *redisIntegrity {
	return &redisIntegrity{svc: svc, cfg: cfg, opts: opts, readers: map[string]*redis.Client{}}
}

// probe is the lost-write loop over this writer. A round is one write and
// the sweep of the Sentinels and the master: two round trips each.
func (p *redisIntegrity) probe() *lostWriteProbe {
	return &lostWriteProbe{name: "redis.integrity", target: p.svc.Name, cfg: p.cfg, roundTimeout: 2 * p.cfg.Timeout,
		classify: classifyRedis, start: p.start, round: p.write, sweep: p.sweep, close: p.close}
}

func (p *redisIntegrity) start(ctx context.Context) error {
	if p.run == "" {
		p.run = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if p.client != nil {
		return nil
	}
	c, err := redisClient(ctx, p.svc, p.cfg, p.opts)
	if err != nil {
		return err
	}
	p.client = c
	return nil
}

// write sets a fresh key and asks, on the same connection, which node
// took it (CLIENT INFO's laddr): the culprit when it is lost.
func (p *redisIntegrity) write(ctx context.Context, n int64) (string, error) {
	key := "gameday:integrity:" + p.svc.Name + ":" + p.run + ":" + strconv.FormatInt(n, 10)
	var set *redis.StatusCmd
	var info *redis.ClientInfoCmd
	_, _ = p.client.Pipelined(ctx, func(pl redis.Pipeliner) error {
		set = pl.Set(ctx, key, n, RedisIntegrityHorizon+time.Minute)
		info = pl.ClientInfo(ctx)
		return nil
	})
	if err := set.Err(); err != nil {
		return "", err
	}
	w := ackedWrite{key: key, at: time.Now()}
	if ci, err := info.Result(); err == nil && ci != nil {
		w.by = ci.LAddr
	}
	p.mu.Lock()
	p.pending = append(p.pending, w)
	if over := len(p.pending) - redisIntegrityMaxPending; over > 0 {
		p.pending = append(p.pending[:0:0], p.pending[over:]...)
		p.unverified += int64(over)
	}
	p.mu.Unlock()
	return "", nil
}

// sweep reads every pending key back from the master the Sentinels agree
// on now and returns the culprit of each one missing.
func (p *redisIntegrity) sweep(ctx context.Context) ([]string, string) {
	note := ""
	p.mu.Lock()
	if p.unverified > 0 {
		note = fmt.Sprintf("%d writes given up unverified", p.unverified)
	}
	p.mu.Unlock()
	master, err := targets.AskSentinels(ctx, p.svc).Agreed()
	if err != nil {
		return nil, join(note, "read-back waits: "+oneLine(err))
	}
	c, err := p.reader(master)
	if err != nil {
		return nil, join(note, "read-back: "+oneLine(err))
	}
	// A node the Sentinels just named may not have taken the role yet.
	role, err := c.Do(ctx, "ROLE").Slice()
	if err != nil {
		return nil, join(note, fmt.Sprintf("read-back from master %s: %s", master, oneLine(err)))
	}
	if len(role) == 0 || role[0] != "master" {
		return nil, join(note, fmt.Sprintf("read-back waits: %s is not master yet (ROLE %v)", master, role))
	}
	p.mu.Lock()
	keys := make([]ackedWrite, len(p.pending))
	copy(keys, p.pending)
	p.mu.Unlock()

	missing := map[string]bool{}
	for i := 0; i < len(keys); i += redisReadBatch {
		batch := keys[i:min(i+redisReadBatch, len(keys))]
		names := make([]string, len(batch))
		for j, w := range batch {
			names[j] = w.key
		}
		vals, err := c.MGet(ctx, names...).Result()
		if err != nil {
			return nil, join(note, fmt.Sprintf("read-back from master %s: %s", master, oneLine(err)))
		}
		for j, v := range vals {
			if v == nil {
				missing[batch[j].key] = true
			}
		}
	}
	var lost []string
	now := time.Now()
	p.mu.Lock()
	kept := p.pending[:0]
	for _, w := range p.pending {
		switch {
		case missing[w.key]:
			by := w.by
			if by == "" {
				by = "an unknown node"
			}
			lost = append(lost, fmt.Sprintf("acknowledged by %s, missing on master %s", by, master))
		case now.Sub(w.at) > RedisIntegrityHorizon:
			// Read back from a master agreed on long after the write:
			// verified.
		default:
			kept = append(kept, w)
		}
	}
	p.pending = kept
	p.mu.Unlock()
	return lost, note
}

// reader returns a plain client to the master at addr (kept per address).
func (p *redisIntegrity) reader(addr string) (*redis.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.readers[addr]; ok {
		return c, nil
	}
	pw, err := p.svc.Password.Resolve()
	if err != nil {
		return nil, fmt.Errorf("redis %s password: %w", p.svc.Name, err)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Password: pw, ClientName: p.opts.ClientName,
		MaxRetries: -1, DialTimeout: p.cfg.Timeout, ReadTimeout: p.cfg.Timeout, WriteTimeout: p.cfg.Timeout,
		PoolTimeout: p.cfg.Timeout, ContextTimeoutEnabled: true, PoolSize: 2})
	p.readers[addr] = c
	return c, nil
}

func (p *redisIntegrity) close() {
	if p.client != nil {
		_ = p.client.Close()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.readers {
		_ = c.Close()
	}
}

// join joins two notes with "; ", either possibly empty.
func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
