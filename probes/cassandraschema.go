package probes

import (
	"context"
	"fmt"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gameday-dev/gameday/targets"
)

// schemaTimeout bounds one schema change. A CREATE TABLE flushes the
// schema tables on every node and waits for them: on a loaded lab it
// takes far longer than a probe's request timeout (20 s went unanswered
// at load 40), and the driver has no per-statement timeout.
const schemaTimeout = time.Minute

// schemaStartBound is how long one start attempt of a probe that may
// create its table gets: the connect, the schema change and the wait for
// every node to agree on it.
func schemaStartBound(cfg Config) time.Duration {
	return 5*cfg.Timeout + 2*schemaTimeout
}

// createTable runs ddl through a short-lived session of its own, whose
// requests may take schemaTimeout, and then waits until every node
// reports the same schema version: a table some node does not know yet
// would surface later as the probe's own INCOMPATIBLE_SCHEMA errors.
func createTable(ctx context.Context, svc targets.Cassandra, cfg Config, opts Options, ddl string) error {
	cluster, err := clusterConfig(svc, cfg, nil, opts)
	if err != nil {
		return err
	}
	cluster.Timeout = max(cfg.Timeout, schemaTimeout)
	cluster.MaxWaitSchemaAgreement = schemaTimeout
	s, err := cluster.CreateSession()
	if err != nil {
		return fmt.Errorf("connect to cassandra %s: %w", svc.Name, err)
	}
	defer s.Close()
	if err := s.Query(ddl).Consistency(gocql.Quorum).ExecContext(ctx); err != nil {
		return err
	}
	if err := s.AwaitSchemaAgreement(ctx); err != nil {
		return fmt.Errorf("the nodes do not agree on the schema: %w", err)
	}
	return nil
}
