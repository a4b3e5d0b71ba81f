package targets_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/jvm"
)

// TestCheckCassandraReal reaches a real Apache Cassandra node. It runs in
// the real-cluster stage (make test-real, GAMEDAY_REAL=1), which fetches
// the jars; the fast suite covers the unreachable case.
func TestCheckCassandraReal(t *testing.T) {
	if os.Getenv("GAMEDAY_REAL") != "1" {
		t.Skip("real Cassandra stage: run `make test-real` (GAMEDAY_REAL=1)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := jvm.StartCassandra(ctx, jvm.Options{Dir: t.TempDir(), Nodes: 1, Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)

	cluster := gocql.NewCluster(c.Endpoints()...)
	cluster.Timeout = 20 * time.Second
	s, err := cluster.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	err = s.Query(`CREATE KEYSPACE IF NOT EXISTS gameday WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`).Exec()
	s.Close()
	if err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		keyspace string
		ok       bool
		detail   string
	}{
		"keyspace present": {"gameday", true, "Cassandra 5."},
		"keyspace missing": {"nope", false, "Cassandra 5."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := targets.CheckCassandra(ctx, targets.Cassandra{Name: "c", ContactPoints: c.Endpoints(), Keyspace: tc.keyspace})
			if r.OK != tc.ok || !strings.HasPrefix(r.Detail, tc.detail) || (!tc.ok && !strings.Contains(r.Detail, "keyspace nope")) {
				t.Errorf("CheckCassandra(%s) = %+v, want ok=%v detail %q…", tc.keyspace, r, tc.ok, tc.detail)
			}
		})
	}
}
