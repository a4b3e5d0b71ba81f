package targets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// CheckRedis asks every Sentinel which address the master has, then PINGs
// that master: one row per Sentinel and one for the master. Sentinels that
// disagree fail, since probes and failover would then see different
// masters.
func CheckRedis(ctx context.Context, s Redis) []Readiness {
	item := "redis/" + s.Name
	sentinelPass, err1 := s.SentinelPassword.Resolve()
	pass, err2 := s.Password.Resolve()
	if err := firstErr(err1, err2); err != nil {
		return []Readiness{{Item: item, Kind: "redis", Address: strings.Join(s.Sentinels, ","), Detail: err.Error()}}
	}
	rows := make([]Readiness, len(s.Sentinels))
	masters := make([]string, len(s.Sentinels))
	var wg sync.WaitGroup
	for i, addr := range s.Sentinels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i] = timed(Readiness{Item: item, Kind: "sentinel", Address: addr}, func() (string, error) {
				c := redis.NewSentinelClient(&redis.Options{Addr: addr, Password: sentinelPass, MaxRetries: -1, DialerRetries: 1, DisableIdentity: true})
				defer c.Close()
				got, err := c.GetMasterAddrByName(ctx, s.Master).Result()
				if err != nil {
					if errors.Is(err, redis.Nil) {
						return "", fmt.Errorf("sentinel knows no master named %q", s.Master)
					}
					return "", fmt.Errorf("SENTINEL get-master-addr-by-name: %w", err)
				}
				if len(got) != 2 {
					return "", fmt.Errorf("SENTINEL get-master-addr-by-name answered %q", got)
				}
				masters[i] = net.JoinHostPort(got[0], got[1])
				return "master " + s.Master + " at " + masters[i], nil
			})
		}()
	}
	wg.Wait()
	var named []string
	for _, m := range masters {
		if m != "" && !slices.Contains(named, m) {
			named = append(named, m)
		}
	}
	row := Readiness{Item: item, Kind: "redis master", Address: strings.Join(named, ",")}
	switch {
	case len(named) == 0:
		row.Detail = "no sentinel named a master"
		return append(rows, row)
	case len(named) > 1:
		// Probes and failover would each follow a different master.
		for i := range rows {
			if rows[i].OK {
				rows[i].OK = false
				rows[i].Detail += " (sentinels disagree)"
			}
		}
		row.Detail = "sentinels disagree on the master: " + strings.Join(named, ", ")
		return append(rows, row)
	}
	master := named[0]
	row = timed(row, func() (string, error) {
		c := redis.NewClient(&redis.Options{Addr: master, Password: pass, MaxRetries: -1, DialerRetries: 1, DisableIdentity: true})
		defer c.Close()
		pong, err := c.Ping(ctx).Result()
		if err != nil {
			return "", fmt.Errorf("PING: %w", err)
		}
		return pong, nil
	})
	return append(rows, row)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
