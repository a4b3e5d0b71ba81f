package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

func TestLostWriteCulprit(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		found   bool
		v       string
		written time.Time
		want    string
	}{
		"last write read":           {found: true, v: "b", written: now, want: ""},
		"b's coordinator is behind": {found: true, v: "a", written: now.Add(-time.Millisecond), want: "coordinator n2:9042 wrote in the past"},
		"a's coordinator is ahead":  {found: true, v: "a", written: now.Add(time.Minute), want: "coordinator n1:9042 wrote in the future"},
		"within the slack":          {found: true, v: "a", written: now.Add(futureSlack / 2), want: "coordinator n2:9042 wrote in the past"},
		"row missing":               {want: "both writes via n1:9042 and n2:9042 missing"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := lostWriteCulprit(tc.found, tc.v, tc.written, now, "n1:9042", "n2:9042"); got != tc.want {
				t.Fatalf("culprit %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIntegrityReading(t *testing.T) {
	now := time.Now()
	lostThreshold, err := newThreshold("lost == 0")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		rounds, lost Stats
		status       Status // of the probe itself ("" = measured)
		holds        bool
		value        float64
		detail       string
	}{
		"healthy": {
			rounds: Stats{Count: 20}, holds: true, detail: "0 of 20 acknowledged writes lost",
		},
		"drifted coordinator": {
			rounds: Stats{Count: 20},
			lost:   Stats{Count: 2, Errors: 2, Classes: map[string]int64{"coordinator 127.0.0.2:9042 wrote in the past": 2}},
			value:  2, detail: "2 of 20 acknowledged writes lost (coordinator 127.0.0.2:9042 wrote in the past)",
		},
		"some rounds failed": {
			rounds: Stats{Count: 20, Errors: 5, Classes: map[string]int64{"unavailable": 5}},
			holds:  true, detail: "0 of 15 acknowledged writes lost, 5 rounds failed (unavailable)",
		},
		"every round failed": {
			rounds: Stats{Count: 4, Errors: 4, Classes: map[string]int64{"write_timeout": 4}},
			status: StatusError, detail: "all 4 rounds failed (write_timeout)",
		},
		"nothing yet": {status: StatusError, detail: "no round completed in the window"},
	} {
		t.Run(name, func(t *testing.T) {
			r := integrityReading(now, tc.rounds, tc.lost)
			if r.Status != tc.status || r.Detail != tc.detail {
				t.Fatalf("reading %q %q, want %q %q", r.Status, r.Detail, tc.status, tc.detail)
			}
			if r.Value != tc.value || r.Unit != "lost" || r.Count != tc.rounds.Count || r.Errors != tc.rounds.Errors {
				t.Fatalf("reading value %v %s, count %d, errors %d; want %v lost, %d, %d", r.Value, r.Unit, r.Count, r.Errors, tc.value, tc.rounds.Count, tc.rounds.Errors)
			}
			if r.Status == StatusError {
				return
			}
			holds, measured, has := lostThreshold.Check(r)
			if !has || holds != tc.holds {
				t.Fatalf("lost == 0 on %+v: holds %v (%s, has %v), want %v", r, holds, measured, has, tc.holds)
			}
		})
	}
}

func TestSetCassandraIntegrity(t *testing.T) {
	svc := targets.Cassandra{Name: "c", ContactPoints: []string{"127.0.0.1:9042", "127.0.0.2:9042"}, Keyspace: "gameday",
		Probes: targets.Probes{"quorum": {Disabled: true}, "integrity": {}}}
	set, err := NewSet(&targets.Inventory{Services: targets.Services{Cassandra: []targets.Cassandra{svc}}}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := set.Probes()
	if len(got) != 1 || got[0].Probe != "cassandra.integrity" || strings.Join(got[0].Thresholds, ",") != "lost == 0" {
		t.Fatalf("Probes() = %+v, want one cassandra.integrity judged by lost == 0", got)
	}

	svc.Probes = nil
	set, err = NewSet(&targets.Inventory{Services: targets.Services{Cassandra: []targets.Cassandra{svc}}}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Probes(); len(got) != 1 || got[0].Probe != "cassandra.quorum" {
		t.Fatalf("without an integrity entry Probes() = %+v, want only cassandra.quorum", got)
	}

	svc.ContactPoints = svc.ContactPoints[:1]
	svc.Probes = targets.Probes{"integrity": {}}
	_, err = NewSet(&targets.Inventory{Services: targets.Services{Cassandra: []targets.Cassandra{svc}}}, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "at least two contact points") {
		t.Fatalf("one contact point: %v, want an error asking for two", err)
	}
}
