package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// DefaultCanaryTable is the table cassandra.quorum reads and writes when
// the inventory names none.
const DefaultCanaryTable = "gameday_canary"

// canaryKeys is how many canary rows the probe cycles through.
const canaryKeys = 16

var cqlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// newCassandraQuorum builds cassandra.quorum: constant-rate QUORUM writes
// and reads (alternating) of canary rows, with the driver's retries off so
// that every failure is counted and classified.
func newCassandraQuorum(svc targets.Cassandra, cfg Config, rec *timeline.Recorder, opts Options) (*openProbe, error) {
	table := svc.Table
	if table == "" {
		table = DefaultCanaryTable
	}
	if !cqlName.MatchString(svc.Keyspace) || !cqlName.MatchString(table) {
		return nil, fmt.Errorf("cassandra %s: keyspace %q and table %q must be plain CQL names", svc.Name, svc.Keyspace, table)
	}
	qualified := svc.Keyspace + "." + table
	p := &openProbe{name: "cassandra.quorum", target: svc.Name, cfg: cfg, classify: classifyCassandra,
		headline: func(st Stats) (float64, string) { return st.SuccessPercent(), "%" }}
	if svc.CreateTable {
		p.startWithin = schemaStartBound(cfg)
	}
	var session atomic.Pointer[gocql.Session]
	var n atomic.Int64
	p.start = func(ctx context.Context) error {
		cluster, err := clusterConfig(svc, cfg, rec, opts)
		if err != nil {
			return err
		}
		if svc.CreateTable {
			ddl := "CREATE TABLE IF NOT EXISTS " + qualified + " (id text PRIMARY KEY, v bigint)"
			if err := createTable(ctx, svc, cfg, opts, ddl); err != nil {
				return fmt.Errorf("create canary table %s: %w", qualified, err)
			}
		}
		s, err := cluster.CreateSession()
		if err != nil {
			return fmt.Errorf("connect to cassandra %s: %w", svc.Name, err)
		}
		session.Store(s)
		return nil
	}
	level := consistency(svc)
	insert := "INSERT INTO " + qualified + " (id, v) VALUES (?, ?)"
	sel := "SELECT v FROM " + qualified + " WHERE id = ?"
	p.do = func(ctx context.Context) error {
		s := session.Load()
		i := n.Add(1)
		key := "canary-" + strconv.FormatInt(i/2%canaryKeys, 10)
		if i%2 == 0 {
			err := s.Query(insert, key, time.Now().UnixNano()).Consistency(level).ExecContext(ctx)
			return opError{write: true, err: err}.orNil()
		}
		var v int64
		err := s.Query(sel, key).Consistency(level).ScanContext(ctx, &v)
		if errors.Is(err, gocql.ErrNotFound) {
			err = nil // a read that found no row yet still succeeded
		}
		return opError{err: err}.orNil()
	}
	p.stop = func() {
		if s := session.Load(); s != nil {
			s.Close()
		}
	}
	return p, nil
}

// consistency is the level the service's inventory entry asks for
// (validated), QUORUM by default.
func consistency(svc targets.Cassandra) gocql.Consistency {
	if c, err := gocql.ParseConsistencyWrapper(svc.Consistency); err == nil && svc.Consistency != "" {
		return c
	}
	return gocql.Quorum
}

// clusterConfig is the driver configuration: the service's consistency
// (QUORUM by default), protocol v4, every wait bounded by the probe's
// timeout, no retries, no schema metadata.
func clusterConfig(svc targets.Cassandra, cfg Config, rec *timeline.Recorder, opts Options) (*gocql.ClusterConfig, error) {
	c := gocql.NewCluster(svc.ContactPoints...)
	c.ProtoVersion = 4
	c.Consistency = consistency(svc)
	c.Timeout = cfg.Timeout
	c.ConnectTimeout = cfg.Timeout
	c.WriteTimeout = cfg.Timeout
	c.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 0}
	c.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 3, Interval: time.Second}
	c.ReconnectInterval = 5 * time.Second
	c.MaxWaitSchemaAgreement = 5 * cfg.Timeout
	c.NumConns = 1
	c.Metadata.CacheMode = gocql.Disabled
	c.Logger = driverLogger(opts)
	if svc.LocalDC != "" {
		c.PoolConfig.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(svc.LocalDC)
	} else {
		c.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	}
	if svc.Username != "" {
		pw, err := svc.Password.Resolve()
		if err != nil {
			return nil, fmt.Errorf("cassandra %s password: %w", svc.Name, err)
		}
		c.Authenticator = gocql.PasswordAuthenticator{Username: svc.Username, Password: pw}
	}
	if rec != nil {
		c.Metadata.HostListener.HostStateChangeListener = hostEvents{svc: svc.Name, rec: rec}
	}
	return c, nil
}

// hostEvents turns the driver's host up/down notifications into timeline
// events.
type hostEvents struct {
	svc string
	rec *timeline.Recorder
}

// OnHostUp and OnHostDown implement gocql.HostStatusChangeListener.
func (h hostEvents) OnHostUp(e gocql.HostUpEvent)     { h.record(timeline.NodeUp, "up", e.Host) }
func (h hostEvents) OnHostDown(e gocql.HostDownEvent) { h.record(timeline.NodeDown, "down", e.Host) }

func (h hostEvents) record(k timeline.Kind, word string, host *gocql.HostInfo) {
	if host == nil {
		return
	}
	addr := net.JoinHostPort(host.ConnectAddress().String(), strconv.Itoa(host.Port()))
	h.rec.Record(timeline.Event{
		Kind: k, Source: "probe:cassandra.quorum", Host: addr,
		Summary: fmt.Sprintf("%s node %s (%s) is %s, says the driver", h.svc, addr, host.DataCenter(), word),
		Data:    &timeline.NodeData{Service: h.svc, Node: addr, DC: host.DataCenter(), HostID: host.HostID()},
	})
}

// opError remembers whether a failed statement was a write, so that a
// client-side timeout is classed as the read or write timeout it is to the
// application.
type opError struct {
	write bool
	err   error
}

// Error and Unwrap make opError the error it carries.
func (e opError) Error() string { return e.err.Error() }
func (e opError) Unwrap() error { return e.err }

func (e opError) orNil() error {
	if e.err == nil {
		return nil
	}
	return e
}

// classifyCassandra names the failure classes of cassandra.quorum:
// unavailable, read_timeout, write_timeout, no_hosts or other.
func classifyCassandra(err error) string {
	var (
		unavailable *gocql.RequestErrUnavailable
		readTO      *gocql.RequestErrReadTimeout
		writeTO     *gocql.RequestErrWriteTimeout
		op          opError
	)
	switch {
	case errors.As(err, &unavailable):
		return "unavailable"
	case errors.As(err, &readTO):
		return "read_timeout"
	case errors.As(err, &writeTO):
		return "write_timeout"
	case errors.Is(err, gocql.ErrNoConnections), errors.Is(err, gocql.ErrNoConnectionsStarted),
		errors.Is(err, gocql.ErrSessionClosed):
		return "no_hosts"
	case errors.Is(err, gocql.ErrTimeoutNoResponse) || isTimeout(err):
		if errors.As(err, &op) && op.write {
			return "write_timeout"
		}
		return "read_timeout"
	}
	return "other"
}
