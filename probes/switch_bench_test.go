package probes

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
	"github.com/gameday-dev/gameday/timeline"
)

// rawSwitch is a +switch-master as a plain subscriber received it.
type rawSwitch struct {
	at      time.Time
	payload string
}

// BenchmarkSwitchDetection forces failovers in the lab (SENTINEL FAILOVER,
// repeated as soon as a replica is eligible again, up to 20 or ~60 s) and
// measures, for each, the time from the first plain subscriber seeing the
// Sentinel publish +switch-master to (a) the Time of sentinel.master's
// sentinel.switch event and (b) that event reaching a Recorder subscriber
// (what the TUI sees). Metrics: failovers, median/max of both in ms.
func BenchmarkSwitchDetection(b *testing.B) {
	for b.Loop() {
		benchSwitches(b, 20, 60*time.Second)
	}
}

func benchSwitches(b *testing.B, want int, budget time.Duration) {
	l := labtest.Start(b, lab.Options{NoKafka: true})
	svc := l.Inventory().Services.Redis[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(10000)
	p := newSentinelMaster(svc, Config{Interval: time.Second, Timeout: time.Second, Window: time.Second, Report: time.Second}, rec, Options{ClientName: "bench"})
	first := make(chan struct{}, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		p.Run(ctx, func(Reading) {
			select {
			case first <- struct{}{}:
			default:
			}
		})
	}()
	defer func() { cancel(); <-stopped }()

	raw := make(chan rawSwitch, 100)
	var clients []*redis.SentinelClient
	for _, addr := range svc.Sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		clients = append(clients, c)
		ps := c.Subscribe(ctx, "+switch-master")
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil { // subscription confirmed
			b.Fatalf("subscribe to %s: %v", addr, err)
		}
		go func() {
			for m := range ps.Channel() {
				raw <- rawSwitch{time.Now(), m.Payload}
			}
		}()
	}
	<-first
	time.Sleep(300 * time.Millisecond) // the probe's own subscriptions are up

	var toEvent, toSubscriber []time.Duration
	end := time.Now().Add(budget)
	for len(toEvent) < want && time.Now().Before(end) {
		if err := clients[0].Failover(ctx, svc.Master).Err(); err != nil {
			// NOGOODSLAVE / INPROG: the replicas are not in sync yet.
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var ev timeline.Event
		var delivered time.Time
		timeout := time.After(15 * time.Second)
		for ev.Kind == "" {
			select {
			case e := <-sub.C():
				if e.Kind == timeline.SentinelSwitch {
					ev, delivered = e, time.Now()
				}
			case <-timeout:
				b.Fatalf("no sentinel.switch event 15 s after SENTINEL FAILOVER (%d done)", len(toEvent))
			}
		}
		// The earliest plain subscriber to see this switch marks its
		// publication; give the other Sentinels a moment to publish too.
		time.Sleep(200 * time.Millisecond)
		var earliest time.Time
		for drained := false; !drained; {
			select {
			case r := <-raw:
				if strings.Contains(r.payload, strings.TrimPrefix(ev.String("new"), "127.0.0.1:")) && (earliest.IsZero() || r.at.Before(earliest)) {
					earliest = r.at
				}
			default:
				drained = true
			}
		}
		if earliest.IsZero() {
			b.Fatalf("the plain subscribers never saw the switch to %s", ev.String("new"))
		}
		toEvent = append(toEvent, ev.Time.Sub(earliest))
		toSubscriber = append(toSubscriber, delivered.Sub(earliest))
	}
	if len(toEvent) == 0 {
		b.Fatal("no failover completed")
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	slices.Sort(toEvent)
	slices.Sort(toSubscriber)
	b.ReportMetric(float64(len(toEvent)), "failovers")
	b.ReportMetric(ms(toEvent[len(toEvent)/2]), "median-event-ms")
	b.ReportMetric(ms(toEvent[len(toEvent)-1]), "max-event-ms")
	b.ReportMetric(ms(toSubscriber[len(toSubscriber)/2]), "median-delivered-ms")
	b.ReportMetric(ms(toSubscriber[len(toSubscriber)-1]), "max-delivered-ms")
}
