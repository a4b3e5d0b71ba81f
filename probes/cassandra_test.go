package probes

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/probes/internal/cqlfake"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// quorumTarget is a Cassandra the quorum scenarios run against: the
// in-process fake, or a real cluster.
type quorumTarget struct {
	contactPoints []string
	keyspace      string
	createTable   bool
	// fault makes the target answer the canary statements with f from now
	// on (the zero Fault heals it); nil when the target cannot be told.
	fault func(f cqlfake.Fault)
}

// quorumScenario is one expectation of cassandra.quorum.
type quorumScenario struct {
	fault       cqlfake.Fault
	success     float64 // expected success %, ±12
	classes     []string
	minP99      float64 // ms
	needsFaults bool
}

var quorumScenarios = map[string]quorumScenario{
	"healthy":                           {success: 100},
	"every other statement unavailable": {fault: cqlfake.Fault{Kind: cqlfake.Unavailable, Every: 2}, success: 50, classes: []string{"unavailable"}, needsFaults: true},
	"reads time out":                    {fault: cqlfake.Fault{Kind: cqlfake.ReadTimeout}, success: 50, classes: []string{"read_timeout"}, needsFaults: true},
	"writes time out":                   {fault: cqlfake.Fault{Kind: cqlfake.WriteTimeout}, success: 50, classes: []string{"write_timeout"}, needsFaults: true},
	"slow answers":                      {fault: cqlfake.Fault{Delay: 300 * time.Millisecond}, success: 100, minP99: 300, needsFaults: true},
}

// runQuorumScenarios runs every scenario the target supports, each with a
// fresh probe, and checks success %, error classes and p99.
func runQuorumScenarios(t *testing.T, target quorumTarget) {
	for name, sc := range quorumScenarios {
		t.Run(name, func(t *testing.T) {
			if sc.needsFaults && target.fault == nil {
				t.Skip("this target cannot be told to fail")
			}
			if target.fault != nil {
				target.fault(sc.fault)
				defer target.fault(cqlfake.Fault{})
			}
			r := quorumReading(t, target, nil)
			if r.Status == StatusError {
				t.Fatalf("cassandra.quorum cannot measure: %s", r.Detail)
			}
			if r.Unit != "%" || math.Abs(r.Value-sc.success) > 12 {
				t.Errorf("success %.1f%s over %d statements, want %.0f%%", r.Value, r.Unit, r.Count, sc.success)
			}
			for k := range r.ErrorClasses {
				if !strings.Contains(" "+strings.Join(sc.classes, " ")+" ", " "+k+" ") {
					t.Errorf("error class %q (%v), want only %v", k, r.ErrorClasses, sc.classes)
				}
			}
			for _, k := range sc.classes {
				if r.ErrorClasses[k] == 0 {
					t.Errorf("no %s errors in %v", k, r.ErrorClasses)
				}
			}
			if r.P99 < sc.minP99 {
				t.Errorf("p99 %.1fms, want ≥ %.0fms", r.P99, sc.minP99)
			}
		})
	}
}

// quorumReading runs cassandra.quorum until one full window is summarised.
func quorumReading(t *testing.T, target quorumTarget, rec *timeline.Recorder) Reading {
	t.Helper()
	svc := targets.Cassandra{Name: "c", ContactPoints: target.contactPoints, Keyspace: target.keyspace, CreateTable: target.createTable}
	cfg := Config{Rate: 20, Timeout: 2 * time.Second, Window: time.Second, Report: 100 * time.Millisecond}
	p, err := newCassandraQuorum(svc, cfg, rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	readings := make(chan Reading, 1000)
	stopped := make(chan struct{})
	go func() { defer close(stopped); p.Run(ctx, func(r Reading) { readings <- r }) }()
	defer func() { cancel(); <-stopped }()
	var first time.Time
	var last Reading
	deadline := time.After(20 * time.Second)
	for {
		select {
		case r := <-readings:
			last = r
			if r.Count == 0 {
				continue // still connecting
			}
			if first.IsZero() {
				first = r.Time
			}
			if r.Time.Sub(first) > 1500*time.Millisecond && r.Count >= 10 {
				return r
			}
		case <-deadline:
			t.Fatalf("cassandra.quorum gave no full window in 20 s; last reading %+v", last)
		}
	}
}

func TestCassandraQuorumFake(t *testing.T) {
	srv, err := cqlfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	runQuorumScenarios(t, quorumTarget{contactPoints: []string{srv.Addr()}, keyspace: "gameday", createTable: true, fault: srv.SetFault})
	if srv.Executed() == 0 || srv.Failed() == 0 {
		t.Fatalf("the fake executed %d statements and failed %d, want both", srv.Executed(), srv.Failed())
	}
}

// TestCassandraQuorumReal runs the scenarios a real cluster supports
// (those without injected faults) against GAMEDAY_CASSANDRA, a
// comma-separated list of contact points with keyspace GAMEDAY_KEYSPACE
// (default "gameday"), when the real-cluster harness provides one.
func TestCassandraQuorumReal(t *testing.T) {
	cps := os.Getenv("GAMEDAY_CASSANDRA")
	if cps == "" {
		t.Skip("GAMEDAY_CASSANDRA (contact points of a real Cassandra) is not set")
	}
	ks := os.Getenv("GAMEDAY_KEYSPACE")
	if ks == "" {
		ks = "gameday"
	}
	runQuorumScenarios(t, quorumTarget{contactPoints: strings.Split(cps, ","), keyspace: ks, createTable: true})
}

func TestCassandraNodeEventsOnTimeline(t *testing.T) {
	srv, err := cqlfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(10000)
	target := quorumTarget{contactPoints: []string{srv.Addr()}, keyspace: "gameday"}
	svc := targets.Cassandra{Name: "c", ContactPoints: target.contactPoints, Keyspace: "gameday"}
	p, err := newCassandraQuorum(svc, Config{Rate: 10, Timeout: time.Second, Window: time.Second, Report: 100 * time.Millisecond}, rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); p.Run(ctx, func(Reading) {}) }()
	defer func() { cancel(); <-stopped }()
	waitFor(t, 10*time.Second, "the driver to register for events", func() bool { return srv.Executed() > 2 })
	if err := srv.NotifyStatus(false); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, sub, timeline.NodeDown, srv.Addr())
	if ev.Host != srv.Addr() || ev.String("service") != "c" {
		t.Fatalf("node.down event %+v, want host %s of service c", ev, srv.Addr())
	}
}

// TestCassandraQuorumNoHosts stops the only node under a running probe:
// the failures must be classed no_hosts, and the window an error.
func TestCassandraQuorumNoHosts(t *testing.T) {
	srv, err := cqlfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	svc := targets.Cassandra{Name: "c", ContactPoints: []string{srv.Addr()}, Keyspace: "gameday"}
	p, err := newCassandraQuorum(svc, Config{Rate: 20, Timeout: 500 * time.Millisecond, Window: time.Second, Report: 100 * time.Millisecond}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	readings := make(chan Reading, 1000)
	stopped := make(chan struct{})
	go func() { defer close(stopped); p.Run(ctx, func(r Reading) { readings <- r }) }()
	defer func() { cancel(); <-stopped }()
	deadline := time.After(15 * time.Second)
	closed := false
	for {
		select {
		case r := <-readings:
			if !closed && r.Status != StatusError && r.Count >= 5 {
				srv.Close() // the node dies
				closed = true
			}
			if closed && r.ErrorClasses["no_hosts"] > 0 && r.Count == r.Errors {
				if r.Status != StatusError {
					t.Fatalf("all statements failed but status %s: %+v", r.Status, r)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no window of only no_hosts-class failures after the node stopped (closed %v)", closed)
		}
	}
}
