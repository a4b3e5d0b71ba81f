package probes

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// openProbe is an open-model latency probe: do is sent at a constant rate
// by a Pacer, every call bounded by the timeout, and each report interval
// the rolling window becomes a Reading.
type openProbe struct {
	name, target string
	cfg          Config
	// do performs one request.
	do func(ctx context.Context) error
	// classify names the class of a failed request ("timeout", …).
	classify func(error) string
	// headline picks the Reading's Value and Unit (default: p99 in ms).
	headline func(Stats) (float64, string)
	// start, when set, runs once before pacing begins (connect, create a
	// table); it is retried each report interval until it succeeds, with
	// error Readings meanwhile.
	start func(ctx context.Context) error
	// startWithin bounds one start attempt (default 5 timeouts); a start
	// that may change the schema needs longer (see schemaStartBound).
	startWithin time.Duration
	// stop, when set, runs when Run returns (close clients).
	stop func()
}

// Name, Target and Run implement Probe.
func (p *openProbe) Name() string   { return p.name }
func (p *openProbe) Target() string { return p.target }

// Run measures until ctx is done; see Probe.
func (p *openProbe) Run(ctx context.Context, emit func(Reading)) {
	if p.stop != nil {
		defer p.stop()
	}
	if p.start != nil && !p.runStart(ctx, emit) {
		return
	}
	w := NewWindow(p.cfg.Window)
	paceAndReport(ctx, p.cfg, func(ctx context.Context, due time.Time) {
		rctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		err := p.do(rctx)
		cancel()
		now := time.Now()
		if ctx.Err() != nil {
			return // shutting down: not a failure of the target
		}
		if err != nil {
			w.Fail(now, p.classOf(err))
			return
		}
		// Latency counts from the time the request was due, not from
		// when it left: that is the coordinated-omission correction of
		// an open model (wrk2's). Adding HdrHistogram's
		// RecordCorrectedValue on top would invent samples for
		// requests that were in fact sent and measured, and dilute a
		// stall (a 1 s stall at 10/s would read as p99 ≈ 800 ms).
		w.Observe(now, now.Sub(due), 0)
	}, func(due time.Time) { w.Fail(due, "overflow") }, func(now time.Time) {
		emit(p.reading(now, w.Stats(now)))
	})
}

// paceAndReport calls hit at cfg.Rate in the background (overflow for a
// hit the pacer had to skip) and report at every cfg.Report until ctx
// ends; it returns once the pacing has stopped, so no hit is in flight
// after it (what closing a probe's clients needs).
func paceAndReport(ctx context.Context, cfg Config, hit func(ctx context.Context, due time.Time), overflow func(due time.Time), report func(now time.Time)) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	paced := make(chan struct{})
	go func() {
		defer close(paced)
		Pacer{Rate: cfg.Rate}.Run(pctx, hit, overflow)
	}()
	tick := time.NewTicker(cfg.Report)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-paced
			return
		case now := <-tick.C:
			report(now)
		}
	}
}

// runStart retries p.start until it succeeds (true) or ctx ends (false).
func (p *openProbe) runStart(ctx context.Context, emit func(Reading)) bool {
	return retryStart(ctx, p.name, p.target, p.cfg, p.startWithin, p.start, emit)
}

// retryStart runs start (each attempt bounded by within) until it succeeds (true)
// or ctx ends (false), emitting an error Reading each report interval
// meanwhile: a target that is down at start-up is a measurement, not a
// reason for the probe to give up.
func retryStart(ctx context.Context, name, target string, cfg Config, within time.Duration, start func(context.Context) error, emit func(Reading)) bool {
	if within == 0 {
		within = 5 * cfg.Timeout
	}
	for {
		sctx, cancel := context.WithTimeout(ctx, within)
		err := start(sctx)
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		emit(fill(Reading{Status: StatusError, Detail: oneLine(err)}, name, target, cfg))
		select {
		case <-ctx.Done():
			return false
		case <-time.After(cfg.Report):
		}
	}
}

func (p *openProbe) classOf(err error) string {
	if p.classify != nil {
		return p.classify(err)
	}
	return classifyGeneric(err)
}

// reading turns window statistics into a Reading.
func (p *openProbe) reading(now time.Time, st Stats) Reading {
	return fill(windowReading(now, st, p.headline), p.name, p.target, p.cfg)
}

// windowReading turns window statistics into a Reading whose Value is
// headline's (default: p99 in ms); a window in which nothing succeeded is
// an error, since latency cannot be measured.
func windowReading(now time.Time, st Stats, headline func(Stats) (float64, string)) Reading {
	r := Reading{
		Time: now, Count: st.Count, Errors: st.Errors, ErrorClasses: st.Classes,
		P50: st.P50, P90: st.P90, P99: st.P99, Max: st.Max,
	}
	if headline != nil {
		r.Value, r.Unit = headline(st)
	} else {
		r.Value, r.Unit = st.P99, "ms"
	}
	switch {
	case st.Count == 0:
		r.Status = StatusError
		r.Detail = "no request completed in the window"
	case st.Errors == st.Count:
		r.Status = StatusError
		r.Detail = fmt.Sprintf("all %d requests failed (%s)", st.Count, strings.Join(classNames(st.Classes), ", "))
	default:
		r.Detail = fmt.Sprintf("%d requests, %.1f%% ok, p99 %s", st.Count, st.SuccessPercent(), FormatValue(st.P99, "ms"))
	}
	return r
}

// classifyGeneric names the classes every network probe shares.
func classifyGeneric(err error) string {
	if err == nil {
		return ""
	}
	if isTimeout(err) {
		return "timeout"
	}
	s := strings.ToLower(err.Error())
	switch {
	case strings.Contains(s, "connection refused"):
		return "refused"
	case strings.Contains(s, "connection reset"), strings.Contains(s, "broken pipe"), strings.Contains(s, "eof"):
		return "reset"
	}
	return "other"
}

// oneLine flattens an error to a single line for a Detail.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
