package targets

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
)

// CheckRedis asks every Sentinel which address the master has, then PINGs
// the master they name: one row per Sentinel and one for the master.
// Sentinels that disagree fail, since probes and failover would then see
// different masters.
func CheckRedis(ctx context.Context, s Redis) []Readiness {
	item := "redis/" + s.Name
	_, err1 := s.SentinelPassword.Resolve()
	pass, err2 := s.Password.Resolve()
	if err := firstErr(err1, err2); err != nil {
		// One row for a missing secret, not one per Sentinel.
		return []Readiness{{Item: item, Kind: "redis", Address: strings.Join(s.Sentinels, ","), Detail: err.Error()}}
	}
	view := AskSentinels(ctx, s)
	_, agreeErr := view.Agreed()
	rows := make([]Readiness, 0, len(view.Answers)+1)
	var named []string
	for _, a := range view.Answers {
		row := Readiness{Item: item, Kind: "sentinel", Address: a.Sentinel, Latency: a.Took}
		switch {
		case a.Err != nil:
			row.Detail = a.Err.Error()
		default:
			row.OK, row.Detail = true, "master "+s.Master+" at "+a.Master
			if !slices.Contains(named, a.Master) {
				named = append(named, a.Master)
			}
		}
		rows = append(rows, row)
	}
	if len(named) > 1 {
		// Probes and failover would each follow a different master.
		for i := range rows {
			if rows[i].OK {
				rows[i].OK = false
				rows[i].Detail += " (sentinels disagree)"
			}
		}
	}
	row := Readiness{Item: item, Kind: "redis master", Address: strings.Join(named, ",")}
	switch {
	case len(named) == 0:
		row.Detail = "no sentinel named a master"
		return append(rows, row)
	case len(named) > 1:
		row.Detail = agreeErr.Error()
		return append(rows, row)
	}
	// Sentinels that do not answer fail their own rows; the master the
	// others name is still worth a PING.
	master := named[0]
	row = Timed(row, func() (string, error) {
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
