package probes

import (
	"context"
	"io"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
)

// Defaults for every probe; an inventory's ProbeConfig overrides them.
const (
	DefaultWindow  = 10 * time.Second
	DefaultReport  = time.Second
	DefaultTimeout = time.Second
	DefaultRate    = 10 // requests per second for open-model probes
)

// Probe is one steady-state check of one target. Run measures until ctx is
// done and calls emit with one Reading per report interval, each
// summarising the last window. Every probe runs in its own goroutines and
// bounds every request by its own timeout, so a probe whose target hangs
// never delays another probe or the UI. Run leaves Status empty unless it
// cannot measure (StatusError); the Set judges thresholds.
type Probe interface {
	// Name is the probe's kind: "redis.latency", "sentinel.master", …
	Name() string
	// Target names what it measures: the service, with group/topic where
	// it applies ("lab-kafka lab-group/orders").
	Target() string
	Run(ctx context.Context, emit func(Reading))
}

// Info describes a probe for listings.
type Info struct {
	Probe      string   `json:"probe"`
	Target     string   `json:"target"`
	Thresholds []string `json:"thresholds,omitempty"`
	Window     Duration `json:"window"`
}

// Config is the resolved configuration of one probe: the inventory's
// ProbeConfig with defaults and Options applied.
type Config struct {
	Rate       float64
	Interval   time.Duration // polling period of polled probes
	Timeout    time.Duration
	Window     time.Duration
	Report     time.Duration
	Thresholds []Threshold
}

// Options tune a Set for how it is used.
type Options struct {
	// Report is how often every probe emits a Reading (default 1 s).
	Report time.Duration
	// Window, when set, overrides every probe's window (gameday probe
	// --once uses a short one).
	Window time.Duration
	// ClientName is sent to servers that show client names (default
	// "gameday").
	ClientName string
	// DriverLog receives the client libraries' own log lines (go-redis
	// failover chatter, gocql reconnects); nil discards them, so they never
	// tear through the TUI. go-redis's logger is process-wide: the first
	// Set decides.
	DriverLog io.Writer
	// SSH is the pool command probes on inventory hosts run through: the
	// fault manager's, so probes and faults share one connection per
	// host. nil gives the Set a pool of its own, closed when Run returns.
	SSH *sshx.Pool
}

// poll runs f every interval until ctx is done, each call bounded by
// timeout, and at once whenever wake (which may be nil) fires. A call that
// overruns (a driver that ignores its context) is reported as an error
// Reading and no new call is started until it returns, so a hung target
// never piles up goroutines.
func poll(ctx context.Context, name, target string, cfg Config, f func(ctx context.Context) Reading, emit func(Reading), wake <-chan struct{}) {
	pollRows(ctx, name, target, cfg, func(ctx context.Context) []Reading { return []Reading{f(ctx)} }, emit, wake)
}

// pollRows is poll for a probe that reports several rows per call (one
// per series of a PromQL query): every Reading f returns is emitted, each
// with its own Target (the probe's when empty).
func pollRows(ctx context.Context, name, target string, cfg Config, f func(ctx context.Context) []Reading, emit func(Reading), wake <-chan struct{}) {
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	var busy chan struct{}
	for {
		if busy != nil {
			select {
			case <-busy:
				busy = nil
			default:
			}
		}
		if busy != nil {
			emit(fill(Reading{Status: StatusError, Detail: "previous poll still hanging"}, name, target, cfg))
		} else {
			done := make(chan struct{})
			res := make(chan []Reading, 1)
			busy = done
			go func() {
				defer close(done)
				cctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
				defer cancel()
				res <- f(cctx)
			}()
			grace := time.NewTimer(cfg.Timeout + cfg.Timeout/2)
			select {
			case rs := <-res:
				busy = nil
				if ctx.Err() == nil {
					for _, r := range rs {
						emit(fill(r, name, orTarget(r.Target, target), cfg))
					}
				}
			case <-grace.C:
				emit(fill(Reading{Status: StatusError, Detail: "no answer within " + cfg.Timeout.String()}, name, target, cfg))
			case <-ctx.Done():
			}
			grace.Stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-wake:
		}
	}
}

func orTarget(t, def string) string {
	if t != "" {
		return t
	}
	return def
}

// fill stamps the fields every Reading carries.
func fill(r Reading, name, target string, cfg Config) Reading {
	r.Probe, r.Target = name, target
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if r.Window == 0 {
		r.Window = Duration(cfg.Window)
	}
	return r
}
