package probes

import (
	"context"
	"sync"
	"time"
)

// Pacer sends requests at a constant rate, the open model of vegeta's
// constant pacer: request i leaves at t0 + i/Rate whether or not earlier
// requests have returned, each in its own goroutine. A stalled server thus
// shows up as many slow requests (a high p99) instead of as one slow request
// followed by silence, which is how a closed loop hides it.
type Pacer struct {
	// Rate is requests per second (must be > 0).
	Rate float64
	// MaxInFlight caps concurrent requests; a request due while the cap is
	// reached is not sent but reported through Overflow, so that a dead
	// server cannot pile up goroutines without bound. 0 means 10 s worth of
	// requests at Rate (at least 16).
	MaxInFlight int
}

// Interval is the time between two requests.
func (p Pacer) Interval() time.Duration {
	if p.Rate <= 0 {
		return time.Second
	}
	return time.Duration(float64(time.Second) / p.Rate)
}

func (p Pacer) maxInFlight() int {
	if p.MaxInFlight > 0 {
		return p.MaxInFlight
	}
	n := int(p.Rate * 10)
	if n < 16 {
		n = 16
	}
	return n
}

// Run calls hit(ctx, due) for every due time until ctx is done, each call in
// its own goroutine, and overflow(due) instead when MaxInFlight requests are
// still running. It returns after ctx is done and every hit has returned;
// hit must honour ctx.
func (p Pacer) Run(ctx context.Context, hit func(ctx context.Context, due time.Time), overflow func(due time.Time)) {
	interval := p.Interval()
	slots := make(chan struct{}, p.maxInFlight())
	var wg sync.WaitGroup
	defer wg.Wait()
	t0 := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := int64(0); ; i++ {
		due := t0.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			overflow(due)
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			hit(ctx, due)
		})
	}
}
