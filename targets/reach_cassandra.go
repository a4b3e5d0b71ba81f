package targets

import (
	"context"
	"fmt"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// CheckCassandra opens a session to the contact points, reads the server
// version from system.local and checks that the keyspace exists.
func CheckCassandra(ctx context.Context, c Cassandra) Readiness {
	return Timed(Readiness{Item: "cassandra/" + c.Name, Kind: "cassandra", Address: strings.Join(c.ContactPoints, ",")}, func() (string, error) {
		timeout := 3 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		cluster := gocql.NewCluster(c.ContactPoints...)
		cluster.Timeout = timeout
		cluster.ConnectTimeout = timeout
		cluster.NumConns = 1
		cluster.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 0}
		// MaxRetries counts attempts: with 0 the driver's pool never dials
		// and files a nil connection (then panics in Pick), so 1 it is.
		cluster.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1, Interval: timeout}
		if c.LocalDC != "" {
			cluster.PoolConfig.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(c.LocalDC)
		}
		if c.Username != "" {
			pass, err := c.Password.Resolve()
			if err != nil {
				return "", err
			}
			cluster.Authenticator = gocql.PasswordAuthenticator{Username: c.Username, Password: pass}
		}
		session, err := cluster.CreateSession()
		if err != nil {
			return "", fmt.Errorf("connect: %w", err)
		}
		defer session.Close()
		var version string
		if err := session.Query("SELECT release_version FROM system.local").ScanContext(ctx, &version); err != nil {
			return "", fmt.Errorf("SELECT release_version: %w", err)
		}
		var ks string
		err = session.Query("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", c.Keyspace).ScanContext(ctx, &ks)
		if err != nil {
			return "", fmt.Errorf("Cassandra %s answers, but keyspace %s: %w", version, c.Keyspace, err)
		}
		return "Cassandra " + version + ", keyspace " + c.Keyspace, nil
	})
}
