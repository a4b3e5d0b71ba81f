package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/promserver"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets/lab"
)

// TestPrometheusSeesTheArmedWindow is #17's acceptance: the lab's real
// Prometheus (Debian's binary, internal/promserver) scrapes gameday's
// /metrics during a lab drill — a fault armed, then reverted — and PromQL
// returns a probe reading, and over gameday_fault_armed shows the armed
// window: 1 while armed, 0 after the revert.
func TestPrometheusSeesTheArmedWindow(t *testing.T) {
	if !promserver.Available() {
		t.Skip("prometheus is not installed (scripts/deps.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The exporter's address is known before the lab starts, so the
	// lab's own Prometheus scrapes it (lab.Options.Scrape, as `gameday
	// lab up --metrics-listen` does).
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(ctx, lab.Options{Dir: t.TempDir(), NoKafka: true, Scrape: []string{ScrapeTarget(ln.Addr())}})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop() })
	inv := l.Inventory()
	if len(inv.Services.Prometheus) != 1 {
		ln.Close()
		t.Fatalf("the lab lists %d Prometheus servers, want its own", len(inv.Services.Prometheus))
	}
	promURL := inv.Services.Prometheus[0].URL
	sess, err := session.Open(session.Config{Source: "lab", Targets: inv, StateDir: t.TempDir()})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sess.RevertArmed(context.Background())
		sess.Close("test over")
	})
	serveOn(t, sess, ln)
	client, err := api.NewClient(api.Config{Address: promURL})
	if err != nil {
		t.Fatal(err)
	}
	q := promv1.NewAPI(client)
	// Prometheus scrapes a new target for the first time about 5 s after
	// it starts (promserver's doc).
	waitQuery(t, q, `up{job="gameday"} == 1`, time.Minute, func(v model.Vector) bool { return len(v) == 1 })
	// A probe reading: the latest window's p99 of redis.latency, and its
	// status one-hot.
	waitQuery(t, q, `gameday_probe_p99_seconds{probe="redis.latency",target="lab-redis"} > 0`, time.Minute,
		func(v model.Vector) bool { return len(v) == 1 })
	waitQuery(t, q, `gameday_probe_status{probe="redis.latency",status="ok"}`, time.Minute,
		func(v model.Vector) bool { return len(v) > 0 })

	alice, err := sess.Attach(session.Person{Name: "alice", Role: session.Facilitator})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	armed, err := alice.Arm(ctx, inject.Request{Kind: "latency", Hosts: []string{"redis-2"},
		Params: map[string]string{"delay": "50ms"}, TTL: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	series := fmt.Sprintf(`gameday_fault_armed{fault_id=%q,kind="latency",hosts="redis-2"}`, armed.ID)
	waitQuery(t, q, series+" == 1", 30*time.Second, func(v model.Vector) bool { return len(v) == 1 })
	reverting := time.Now()
	if _, err := alice.Revert(ctx, armed.ID); err != nil {
		t.Fatal(err)
	}
	reverted := time.Now()
	zero := waitQuery(t, q, series+" == 0", 30*time.Second, func(v model.Vector) bool { return len(v) == 1 })

	// The armed window, as a dashboard draws it up to now: absent before
	// the arm, 1 only between arming and the revert, 0 after it.
	end := zero[0].Timestamp.Time().Add(250 * time.Millisecond)
	res, _, err := q.QueryRange(ctx, series, promv1.Range{Start: before.Add(-5 * time.Second), End: end, Step: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := res.(model.Matrix)
	if !ok || len(m) != 1 {
		t.Fatalf("range query: %v, want one series", res)
	}
	var ones, zerosAfter int
	for _, p := range m[0].Values {
		at := p.Timestamp.Time()
		switch {
		case p.Value == 1:
			ones++
			if at.Before(before) || at.After(reverted.Add(2*time.Second)) {
				t.Errorf("armed at %s, outside the window %s – %s", at.Format(time.StampMilli), before.Format(time.StampMilli), reverted.Format(time.StampMilli))
			}
		case p.Value == 0:
			if at.After(reverting) {
				zerosAfter++
			}
		default:
			t.Errorf("value %v at %s, want 0 or 1", p.Value, at)
		}
	}
	last := m[0].Values[len(m[0].Values)-1]
	if ones == 0 || zerosAfter == 0 || last.Value != 0 {
		t.Fatalf("range %v: %d points at 1, %d at 0 after the revert, last %v; want the window to rise and fall", m[0].Values, ones, zerosAfter, last.Value)
	}
	// The whole window in one PromQL expression a Grafana panel can use.
	waitQuery(t, q, fmt.Sprintf(`max_over_time(%s[5m]) == 1 and %s == 0`, series, series), 10*time.Second,
		func(v model.Vector) bool { return len(v) == 1 })
}

// waitQuery evaluates expr until ok holds of its vector, failing after
// within.
func waitQuery(t *testing.T, q promv1.API, expr string, within time.Duration, ok func(model.Vector) bool) model.Vector {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, _, err := q.Query(ctx, expr, time.Now())
		cancel()
		if err == nil {
			if v, isVec := res.(model.Vector); isVec && ok(v) {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no answer as wanted within %s; last %v, %v", expr, within, res, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
