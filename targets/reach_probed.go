package targets

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// CheckPrometheus reaches the i-th Prometheus server of inv and evaluates
// each of its queries once. Its row says whether the server answered every
// query (and its version, when it tells); a query Prometheus rejects as
// bad PromQL is bad input, like any other mistake in the file, so it
// becomes a Problem at the query's line with Prometheus's own message.
func CheckPrometheus(ctx context.Context, inv *Inventory, i int, timeout time.Duration) Readiness {
	p := inv.Services.Prometheus[i]
	row := Readiness{Item: "prometheus/" + p.Name, Kind: "prometheus", Address: p.URL}
	var rejected Problems
	row = Timed(row, func() (string, error) {
		c, err := p.APIClient(timeout)
		if err != nil {
			return "", err
		}
		api := v1.NewAPI(c)
		ran := 0
		var failed error
		for j, q := range p.Queries {
			_, _, err := api.Query(ctx, q.Query, time.Now(), v1.WithTimeout(timeout))
			var pe *v1.Error
			switch {
			case err == nil:
				ran++
			case errors.As(err, &pe) && pe.Type == v1.ErrBadData:
				field := yamldoc.Index(yamldoc.Index("services.prometheus", i)+".queries", j) + ".query"
				rejected = append(rejected, Problem{File: inv.Path, Pos: q.Pos, Field: field,
					Msg: "Prometheus rejects the query: " + pe.Msg})
			case failed == nil:
				failed = fmt.Errorf("query %s: %s", q.Name, PromError(err, timeout))
			}
		}
		if failed != nil {
			return "", failed
		}
		detail := fmt.Sprintf("%d of %d queries evaluate", ran, len(p.Queries))
		if bi, err := api.Buildinfo(ctx); err == nil && bi.Version != "" {
			detail = "Prometheus " + bi.Version + ", " + detail
		}
		if len(rejected) > 0 {
			return "", fmt.Errorf("%s, %d rejected as bad PromQL", detail, len(rejected))
		}
		return detail, nil
	})
	row.Problems = rejected
	return row
}

// PromError words a Prometheus API failure with Prometheus's own message:
// the PromQL parse error, the server's timeout, or the HTTP status (and
// body) of a refused request.
func PromError(err error, timeout time.Duration) string {
	var pe *v1.Error
	if errors.As(err, &pe) {
		msg := "prometheus: " + string(pe.Type) + ": " + pe.Msg
		if d := strings.TrimSpace(pe.Detail); d != "" && pe.Type != v1.ErrBadData {
			if len(d) > 200 {
				d = d[:200] + "…"
			}
			msg += ": " + d
		}
		return strings.Join(strings.Fields(msg), " ")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "prometheus: no answer within " + timeout.String()
	}
	return "prometheus: " + strings.Join(strings.Fields(err.Error()), " ")
}

// CheckHTTP sends an http service's request once, as its probe does.
func CheckHTTP(ctx context.Context, h HTTP, timeout time.Duration) Readiness {
	row := Readiness{Item: "http/" + h.Name, Kind: "http", Address: h.URL}
	return Timed(row, func() (string, error) {
		c, err := h.NewClient(timeout)
		if err != nil {
			return "", err
		}
		defer c.Close()
		if err := c.Do(ctx); err != nil {
			return "", err
		}
		return "answers as expected", nil
	})
}

// CheckCommand finds a local command probe's program; one that runs on a
// host is reached through that host (its own row).
func CheckCommand(c Command) Readiness {
	row := Readiness{Item: "command/" + c.Name, Kind: "command", Address: "local"}
	return Timed(row, func() (string, error) {
		path, err := exec.LookPath(c.Command[0])
		if err != nil {
			return "", err
		}
		return "runs " + path, nil
	})
}
