package probes

import (
	"context"
	"sync/atomic"
	"time"
)

// lostWriteProbe is the loop both lost-write probes share
// (cassandra.integrity, redis.integrity): rounds paced at a constant rate,
// each a write the probe checks; a window of rounds (their latency from
// the due time, or their error class) and a window of lost writes classed
// by culprit; one Reading per report interval from integrityReading. A
// round may find its own loss at once (Cassandra reads its key back); a
// probe whose losses only show later (Redis: a write acknowledged by a
// master the Sentinels then replace) finds them in sweep, run once per
// report interval.
type lostWriteProbe struct {
	name, target string
	cfg          Config
	// roundTimeout bounds one round, and one sweep.
	roundTimeout time.Duration
	classify     func(error) string
	// start runs before the first round (connect, create a table); it is
	// retried each report interval until it succeeds.
	start func(ctx context.Context) error
	// startWithin bounds one start attempt (0: 5 timeouts); a start that
	// may change the schema needs longer (see schemaStartBound).
	startWithin time.Duration
	// round runs round n; culprit is set when it found a write lost.
	round func(ctx context.Context, n int64) (culprit string, err error)
	// sweep, when set, returns the culprits of writes found lost since
	// the last sweep, and a note for the reading ("" when there is none).
	sweep func(ctx context.Context) (lost []string, note string)
	// close, when set, runs when Run returns.
	close func()
}

// Name, Target and Run implement Probe.
func (p *lostWriteProbe) Name() string   { return p.name }
func (p *lostWriteProbe) Target() string { return p.target }

// Run measures until ctx is done; see Probe.
func (p *lostWriteProbe) Run(ctx context.Context, emit func(Reading)) {
	if p.close != nil {
		defer p.close()
	}
	if !retryStart(ctx, p.name, p.target, p.cfg, p.startWithin, p.start, emit) {
		return
	}
	rounds := NewWindow(p.cfg.Window)
	lost := NewWindow(p.cfg.Window)
	var n atomic.Int64
	paceAndReport(ctx, p.cfg, func(ctx context.Context, due time.Time) {
		rctx, cancel := context.WithTimeout(ctx, p.roundTimeout)
		culprit, err := p.round(rctx, n.Add(1)-1)
		cancel()
		now := time.Now()
		switch {
		case ctx.Err() != nil:
			return // shutting down: not a failure of the target
		case err != nil:
			rounds.Fail(now, p.classify(err))
		default:
			rounds.Observe(now, now.Sub(due), 0)
			if culprit != "" {
				lost.Fail(now, culprit)
			}
		}
	}, func(due time.Time) { rounds.Fail(due, "overflow") }, func(now time.Time) {
		note := ""
		if p.sweep != nil {
			sctx, cancel := context.WithTimeout(ctx, p.roundTimeout)
			var found []string
			found, note = p.sweep(sctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			now = time.Now()
			for _, c := range found {
				lost.Fail(now, c)
			}
		}
		r := integrityReading(now, rounds.Stats(now), lost.Stats(now))
		if note != "" {
			r.Detail += "; " + note
		}
		emit(fill(r, p.name, p.target, p.cfg))
	})
}
