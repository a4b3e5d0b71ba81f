package timeline

import (
	"bytes"
	"slices"
	"testing"
)

func loadMembership(t testing.TB) []Event {
	t.Helper()
	evs, warns, err := LoadJournal("testdata/membership.jsonl")
	if err != nil || len(warns) > 0 {
		t.Fatalf("fixture: %v %v", err, warns)
	}
	return evs
}

func feedAll(evs []Event) *Analyzer {
	a := NewAnalyzer()
	for _, e := range evs {
		a.Feed(e)
	}
	return a
}

// The figures of the membership fixture, checked one by one: a Redis
// master kill that fails over and self-heals, a Cassandra partition that
// dips QUORUM, a Kafka latency fault that builds lag — while an unrelated
// Kafka canary flaps around its threshold all session long.
func TestAnalyzerFigures(t *testing.T) {
	faults := feedAll(loadMembership(t)).Faults()
	if len(faults) != 3 {
		t.Fatalf("got %d faults, want 3", len(faults))
	}
	kill, part, lat := faults[0], faults[1], faults[2]
	check := func(name string, got *Seconds, want float64) {
		t.Helper()
		if got == nil || *got != Seconds(want) {
			t.Errorf("%s = %v, want %v", name, deref(got), want)
		}
	}
	check("kill: detect", kill.TimeToDetect, 1.2)
	if kill.DetectedBy != "redis.latency cache" || !slices.Equal(kill.Services, []string{"redis/cache"}) || kill.Attribution != "membership" {
		t.Errorf("kill: detected by %q, services %v (%s)", kill.DetectedBy, kill.Services, kill.Attribution)
	}
	if len(kill.Redis) != 1 || kill.Redis[0].NewMaster != "127.0.0.1:16380" {
		t.Fatalf("kill: redis figures %+v", kill.Redis)
	}
	check("kill: failover", kill.Redis[0].Failover, 2.9)
	check("kill: clients ok", kill.Redis[0].ClientsOK, 4)
	check("kill: self-heal", kill.TimeToSelfHeal, 4)
	check("kill: recover", kill.TimeToRecover, 0)

	check("partition: detect", part.TimeToDetect, 2)
	check("partition: self-heal", part.TimeToSelfHeal, 11)
	if len(part.Cassandra) != 1 || part.Cassandra[0].MinSuccess == nil || part.Cassandra[0].MinSuccess.Value != 97 {
		t.Fatalf("partition: cassandra figures %+v", part.Cassandra)
	}
	check("partition: QUORUM dip", part.Cassandra[0].Dip, 9)

	check("latency: detect", lat.TimeToDetect, 5)
	check("latency: recover", lat.TimeToRecover, 3)
	if len(lat.Kafka) != 1 || lat.Kafka[0].LagPeak == nil || lat.Kafka[0].LagPeak.Value != 5000 || lat.Kafka[0].LeaderMoves != 1 {
		t.Fatalf("latency: kafka figures %+v", lat.Kafka)
	}
	check("latency: lag drain", lat.Kafka[0].DrainTime, 10)
}

// A probe of another service that flaps during a fault is listed apart and
// never credited; a probe of the fault's own service that was flapping in
// the minute before the fault is not credited either.
func TestFlappingProbeIsNotCredited(t *testing.T) {
	faults := feedAll(loadMembership(t)).Faults()
	const canary = "kafka.latency bus gameday-canary"
	for _, f := range faults[:2] {
		if f.DetectedBy == canary || !slices.ContainsFunc(f.AlsoSeen, func(p ProbeTime) bool { return p.Probe == canary }) {
			t.Errorf("%s: detected by %q, also seen %v: want the canary listed apart, not credited", f.ID, f.DetectedBy, f.AlsoSeen)
		}
		for _, d := range f.Detections {
			if d.Probe == canary {
				t.Errorf("%s: the canary is among its detections: %v", f.ID, f.Detections)
			}
		}
	}
	lat := faults[2] // on kafka-1: the canary's own service
	if !slices.Equal(lat.NotCredited, []string{canary}) || lat.DetectedBy != "kafka.lag bus g/orders" {
		t.Errorf("latency on kafka-1: not credited %v, detected by %q; want the flapping canary not credited", lat.NotCredited, lat.DetectedBy)
	}
}

// The same analysis fed in any batching, and resumed from a clone taken
// anywhere, gives the same figures: what replay's checkpoints rely on.
func TestAnalyzerCloneResumes(t *testing.T) {
	evs := loadMembership(t)
	want := feedAll(evs).Report(ReportOptions{})
	for _, cut := range []int{0, 1, 100, 250, 400, len(evs) - 1} {
		a := feedAll(evs[:cut])
		b := a.Clone()
		for _, e := range evs[cut:] {
			b.Feed(e)
		}
		for _, e := range evs[cut:min(cut+50, len(evs))] {
			a.Feed(e) // the original goes on too, and must not disturb the clone
		}
		got := b.Report(ReportOptions{})
		if !sameReport(t, got, want) {
			t.Errorf("resumed from a clone at event %d: the report differs", cut)
		}
	}
}

func sameReport(t *testing.T, a, b *Report) bool {
	t.Helper()
	var x, y bytes.Buffer
	if err := a.WriteJSON(&x); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteJSON(&y); err != nil {
		t.Fatal(err)
	}
	if x.String() != y.String() {
		t.Log(firstDiff(y.String(), x.String()))
		return false
	}
	return true
}

// Without the membership (a journal written before it was recorded), lab
// host names still tell which services a fault touched.
func TestAttributionFromHostNames(t *testing.T) {
	evs := loadMembership(t)
	evs[0].Data = &SessionData{Inventory: "lab"}
	for _, f := range feedAll(evs).Faults() {
		if f.Attribution != "host names" || f.DetectedBy == "kafka.latency bus gameday-canary" {
			t.Errorf("%s: attribution %q, detected by %q", f.ID, f.Attribution, f.DetectedBy)
		}
	}
}
