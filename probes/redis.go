package probes

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/targets"
)

// newRedisLatency builds redis.latency: a constant-rate SET then GET of a
// canary key through a Sentinel-aware client, so that a failover shows as
// errors and slow requests until the client follows the new master.
func newRedisLatency(svc targets.Redis, cfg Config, opts Options) *openProbe {
	p := &openProbe{name: "redis.latency", target: svc.Name, cfg: cfg, classify: classifyRedis}
	var client *redis.Client
	key := "gameday:canary:" + svc.Name
	p.start = func(ctx context.Context) error {
		var err error
		client, err = redisClient(ctx, svc, cfg, opts)
		return err
	}
	p.do = func(ctx context.Context) error {
		v := strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := client.Set(ctx, key, v, time.Minute).Err(); err != nil {
			return err
		}
		got, err := client.Get(ctx, key).Result()
		if err != nil {
			return err
		}
		if got == "" {
			return errors.New("canary key read back empty")
		}
		return nil
	}
	p.stop = func() {
		if client != nil {
			_ = client.Close()
		}
	}
	return p
}

// redisClient connects to a deployment's master as an application does,
// through a Sentinel-aware client, with failures made visible: no
// retries, every wait bounded by the probe's timeout. The first command
// (a PING, here) asks the Sentinels for the master and dials it: set-up
// cost, not the latency of Redis.
func redisClient(ctx context.Context, svc targets.Redis, cfg Config, opts Options) (*redis.Client, error) {
	pw, err := svc.Password.Resolve()
	if err != nil {
		return nil, fmt.Errorf("redis %s password: %w", svc.Name, err)
	}
	spw, err := svc.SentinelPassword.Resolve()
	if err != nil {
		return nil, fmt.Errorf("redis %s sentinel password: %w", svc.Name, err)
	}
	client := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            svc.Master,
		SentinelAddrs:         svc.Sentinels,
		Password:              pw,
		SentinelPassword:      spw,
		ClientName:            opts.ClientName,
		MaxRetries:            -1,
		DialTimeout:           cfg.Timeout,
		ReadTimeout:           cfg.Timeout,
		WriteTimeout:          cfg.Timeout,
		PoolTimeout:           cfg.Timeout,
		ContextTimeoutEnabled: true,
		PoolSize:              max(10, int(cfg.Rate)),
	})
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis %s: %w", svc.Name, err)
	}
	return client, nil
}

// classifyRedis names Redis failure classes; READONLY and MASTERDOWN are
// what a client sees while a failover is under way.
func classifyRedis(err error) string {
	s := err.Error()
	switch {
	case strings.HasPrefix(s, "READONLY"):
		return "readonly"
	case strings.HasPrefix(s, "MASTERDOWN"), strings.Contains(s, "no master"), strings.Contains(s, "all sentinels"):
		return "no_master"
	case strings.HasPrefix(s, "LOADING"):
		return "loading"
	case errors.Is(err, redis.ErrPoolTimeout):
		return "pool_timeout"
	}
	return classifyGeneric(err)
}
