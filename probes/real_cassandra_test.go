package probes

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/jvm"
	"github.com/gameday-dev/gameday/timeline"
)

// TestRealCassandra starts one real 3-node Apache Cassandra (RF 3, node 2,
// the one drifted, under libfaketime) and runs the Cassandra probes' scenarios on it
// in turn: one cluster for all, since a start costs most of the time.
//
// It is opt-in on top of the real stage (GAMEDAY_REAL_CASSANDRA_PROBES=1):
// on the shared 2-core machine, with the lab's own real scenarios starting
// clusters at the same time, a second 3-node cluster did not become ready
// within 10 minutes, so it has not yet been seen passing.
func TestRealCassandra(t *testing.T) {
	requireReal(t)
	if os.Getenv("GAMEDAY_REAL_CASSANDRA_PROBES") != "1" {
		t.Skip("a second real Cassandra cluster: set GAMEDAY_REAL_CASSANDRA_PROBES=1 as well")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	c, err := jvm.StartCassandra(ctx, jvm.Options{Dir: t.TempDir(), FaketimeNode: 2, Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	t.Logf("3 Cassandra nodes up in %.1fs", time.Since(t0).Seconds())
	createKeyspace(t, c.Endpoints(), "gameday")

	// The in-process CQL server's scenarios that need no injected fault.
	t.Run("quorum scenarios", func(t *testing.T) {
		runQuorumScenarios(t, quorumTarget{contactPoints: c.Endpoints(), keyspace: "gameday", createTable: true})
	})
	t.Run("integrity clock drift", func(t *testing.T) { integrityClockDrift(t, c) })
	t.Run("quorum with paused nodes", func(t *testing.T) { quorumPausedNodes(t, c) })
}

func createKeyspace(t *testing.T, contactPoints []string, ks string) {
	t.Helper()
	cl := gocql.NewCluster(contactPoints...)
	cl.Timeout = 20 * time.Second
	cl.ConnectTimeout = 20 * time.Second
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Query(`CREATE KEYSPACE IF NOT EXISTS ` + ks + ` WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`).Exec()
	if err != nil {
		t.Fatal(err)
	}
}

// runCassandraSet runs the probes of svc until the test ends.
func runCassandraSet(t *testing.T, svc targets.Cassandra, rec *timeline.Recorder, report time.Duration) *Set {
	t.Helper()
	set, err := NewSet(&targets.Inventory{Services: targets.Services{Cassandra: []targets.Cassandra{svc}}}, rec, Options{Report: report})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); set.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return set
}

// awaitReading polls the set's only probe until cond holds on a reading, and
// returns it; it fails the test after within.
func awaitReading(t *testing.T, set *Set, within time.Duration, what string, cond func(Reading) bool) Reading {
	t.Helper()
	deadline := time.Now().Add(within)
	var last, prev Reading
	for time.Now().Before(deadline) {
		last = set.Latest()[0]
		if last.Time != prev.Time && cond(last) {
			return last
		}
		prev = last
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s; last reading %s %v %s: %s", what, within, last.Status, last.Value, last.Unit, last.Detail)
	return Reading{}
}

// integrityClockDrift drifts node 2's clock back by 60 s: writes it
// coordinates after a write through another node are stamped in the past
// and lose by last-write-wins, which cassandra.integrity must report as
// lost, and stop reporting once the clock is put back.
func integrityClockDrift(t *testing.T, c *jvm.Cluster) {
	const window = 3 * time.Second
	svc := targets.Cassandra{Name: "lab-cassandra", ContactPoints: c.Endpoints(), Keyspace: "gameday", CreateTable: true,
		Probes: targets.Probes{"quorum": {Disabled: true}, "integrity": {Rate: 5, Timeout: 2 * time.Second, Window: window}}}
	rec := timeline.NewRecorder()
	t.Cleanup(rec.Close) // after the probes stop
	sub := rec.Subscribe(100000)
	set := runCassandraSet(t, svc, rec, 500*time.Millisecond)

	// Healthy: full windows, nothing lost.
	awaitReading(t, set, time.Minute, "a full healthy window", func(r Reading) bool { return r.Status == StatusOK && r.Count >= 12 })
	healthyUntil := time.Now().Add(2 * window)
	for time.Now().Before(healthyUntil) {
		if r := set.Latest()[0]; r.Value != 0 || r.Status != StatusOK {
			t.Fatalf("healthy cluster: %s %v lost: %s", r.Status, r.Value, r.Detail)
		}
		time.Sleep(100 * time.Millisecond)
	}

	n2 := c.Nodes[1]
	if err := n2.SetClockOffset("-60s"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n2.SetClockOffset("+0") })
	drifted := time.Now()
	r := awaitReading(t, set, 30*time.Second, "lost writes after drifting "+n2.Name, func(r Reading) bool { return r.Value > 0 })
	detect := time.Since(drifted)
	if r.Status != StatusBreach || !strings.Contains(r.Detail, "coordinator "+n2.Endpoint()+" wrote in the past") {
		t.Fatalf("drifted %s: %s %q, want a breach blaming coordinator %s", n2.Name, r.Status, r.Detail, n2.Endpoint())
	}
	t.Logf("drift: %s", r.Detail)
	// Let the drift run a whole window: only writes via n2 after a write
	// through another node lose (about a third of rounds with 3 nodes).
	r = awaitReading(t, set, 2*window+5*time.Second, "a full window of drift", func(r Reading) bool {
		return r.Time.Sub(drifted) > window+2*time.Second
	})
	if acked := float64(r.Count - r.Errors); r.Value < acked/6 || r.Value > acked/2+1 {
		t.Errorf("a window of drift lost %v of %v writes, want about a third", r.Value, acked)
	}

	if err := n2.SetClockOffset("+0"); err != nil {
		t.Fatal(err)
	}
	reverted := time.Now()
	awaitReading(t, set, 30*time.Second, "no lost writes after the revert", func(r Reading) bool {
		return r.Status == StatusOK && r.Value == 0 && r.Count >= 12
	})
	recovered := time.Since(reverted)
	stableUntil := time.Now().Add(2 * window)
	for time.Now().Before(stableUntil) {
		if r := set.Latest()[0]; r.Value != 0 {
			t.Fatalf("after the revert: %s %v lost: %s", r.Status, r.Value, r.Detail)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitEvent(t, sub, timeline.ProbeBreach, "cassandra.integrity lab-cassandra lost")
	waitEvent(t, sub, timeline.ProbeRecovered, "cassandra.integrity lab-cassandra recovered: lost 0 holds lost == 0")
	t.Logf("FIGURE cassandra.integrity clock drift -60s: time to detect %.2fs, time to recover after revert %.2fs (window %s, report 500ms, 5 rounds/s)",
		detect.Seconds(), recovered.Seconds(), window)
}

// quorumPausedNodes pauses (SIGSTOP) one node, then two: QUORUM holds
// with one node gone once the driver has noticed, fails with unavailable
// or timeout errors with two, and is back to 100 % when they continue.
func quorumPausedNodes(t *testing.T, c *jvm.Cluster) {
	svc := targets.Cassandra{Name: "lab-cassandra", ContactPoints: c.Endpoints(), Keyspace: "gameday", CreateTable: true,
		Probes: targets.Probes{"quorum": {Rate: 20, Timeout: 2 * time.Second, Window: 3 * time.Second}}}
	set := runCassandraSet(t, svc, nil, 250*time.Millisecond)
	full := func(r Reading) bool { return r.Count >= 50 }

	r := awaitReading(t, set, time.Minute, "a full healthy window", full)
	if r.Value != 100 {
		t.Fatalf("healthy cluster: success %v%% (%s), want 100%%", r.Value, r.Detail)
	}

	pause := func(n *jvm.Node) {
		if err := n.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Signal(syscall.SIGCONT) })
	}
	n3, n2 := c.Nodes[2], c.Nodes[1]
	pause(n3)
	paused := time.Now()
	r = awaitReading(t, set, 90*time.Second, "QUORUM ≥ 99% with "+n3.Name+" paused", func(r Reading) bool {
		return full(r) && r.Time.Sub(paused) > 3*time.Second && r.Value >= 99
	})
	t.Logf("one node paused: QUORUM %s after %.1fs", r.Detail, time.Since(paused).Seconds())

	pause(n2)
	paused = time.Now()
	timeouts := " unavailable read_timeout write_timeout "
	r = awaitReading(t, set, 90*time.Second, "QUORUM failing with "+n2.Name+" and "+n3.Name+" paused", func(r Reading) bool {
		return r.Time.Sub(paused) > 3*time.Second && r.Count >= 10 && r.Value < 10
	})
	for k := range r.ErrorClasses {
		if !strings.Contains(timeouts, " "+k+" ") {
			t.Errorf("two nodes paused: error class %q in %v, want only unavailable or timeouts", k, r.ErrorClasses)
		}
	}
	t.Logf("two nodes paused: QUORUM %s after %.1fs", r.Detail, time.Since(paused).Seconds())

	for _, n := range []*jvm.Node{n2, n3} {
		if err := n.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	}
	resumed := time.Now()
	r = awaitReading(t, set, 2*time.Minute, "QUORUM back to 100%", func(r Reading) bool {
		return full(r) && r.Time.Sub(resumed) > 3*time.Second && r.Value == 100
	})
	t.Logf("resumed: QUORUM %s after %.1fs", r.Detail, time.Since(resumed).Seconds())
}
