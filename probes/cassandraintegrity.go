package probes

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gameday-dev/gameday/targets"
)

// DefaultIntegrityTable is the table cassandra.integrity writes when the
// inventory names none (else it writes <table>_integrity): never the
// quorum canary table, whose v is a bigint.
const DefaultIntegrityTable = "gameday_integrity"

// integrityTTL keeps the probe's unique rows from piling up (2 a second
// is 170,000 a day); it does not touch last-write-wins.
const integrityTTL = 3600

// futureSlack is how far ahead of this machine's clock a surviving write's
// timestamp must be before the lost write is blamed on the coordinator
// that wrote in the future rather than on the one that wrote in the past.
const futureSlack = time.Second

// cassandraIntegrity is the writer of the cassandra.integrity probe (a
// lostWriteProbe): a lost-write detector. Each round writes a fresh key twice, value "a" through one
// coordinator and then "b" through the next, with server-side timestamps
// so that each coordinator's own clock stamps its write, and reads the key
// back at QUORUM. Cassandra keeps the write with the larger timestamp, so
// when "b" was acknowledged but "a" is read, a coordinator's clock is off
// and an acknowledged write was lost. Value is the lost writes in the
// window (unit "lost"); Count is rounds and Errors the rounds that could
// not complete, classified as by cassandra.quorum. ErrorClasses also
// carries the "lost" count, which is what a "lost" threshold judges.
type cassandraIntegrity struct {
	cfg    Config
	svc    targets.Cassandra
	opts   Options
	table  string // keyspace.table
	coords []*coordinator
	run    string // key prefix unique to this run
}

// coordinator is one node that coordinates writes, with its own session
// pinned to it, connected lazily so that a node that is down when the
// probe starts is retried by later rounds.
type coordinator struct {
	addr   string // the contact point as written
	accept func(*gocql.HostInfo) bool

	mu sync.Mutex
	s  *gocql.Session
}

func newCassandraIntegrity(svc targets.Cassandra, cfg Config, opts Options) (*lostWriteProbe, error) {
	// Its own table, never the quorum probe's: the schemas differ.
	table := DefaultIntegrityTable
	if svc.Table != "" {
		table = svc.Table + "_integrity"
	}
	if !cqlName.MatchString(svc.Keyspace) || !cqlName.MatchString(table) {
		return nil, fmt.Errorf("cassandra %s: keyspace %q and table %q must be plain CQL names", svc.Name, svc.Keyspace, table)
	}
	if len(svc.ContactPoints) < 2 {
		return nil, fmt.Errorf("cassandra %s: cassandra.integrity writes through two different coordinators and needs at least two contact points, got %d", svc.Name, len(svc.ContactPoints))
	}
	p := &cassandraIntegrity{cfg: cfg, svc: svc, opts: opts, table: svc.Keyspace + "." + table}
	for _, cp := range svc.ContactPoints {
		accept, err := pinTo(cp)
		if err != nil {
			return nil, fmt.Errorf("cassandra %s: contact point %q: %w", svc.Name, cp, err)
		}
		p.coords = append(p.coords, &coordinator{addr: cp, accept: accept})
	}
	// Three statements in sequence, each bounded by the timeout.
	return &lostWriteProbe{name: "cassandra.integrity", target: svc.Name, cfg: cfg, roundTimeout: 3 * cfg.Timeout,
		classify: classifyCassandra, start: p.start, startWithin: schemaStartBound(cfg), round: p.once, close: p.close}, nil
}

// pinTo returns a host filter that accepts only the node at contact point
// cp ("host" or "host:port", port 9042 by default).
func pinTo(cp string) (func(*gocql.HostInfo) bool, error) {
	host, port := cp, 9042
	if h, p, err := net.SplitHostPort(cp); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("port %q is not a number", p)
		}
		host, port = h, n
	}
	ips := map[string]bool{}
	if ip := net.ParseIP(host); ip != nil {
		ips[ip.String()] = true
	} else {
		addrs, err := net.LookupHost(host)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			ips[net.ParseIP(a).String()] = true
		}
	}
	return func(h *gocql.HostInfo) bool {
		return h != nil && ips[h.ConnectAddress().String()] && h.Port() == port
	}, nil
}

// start connects to every coordinator it can (at least one) and creates
// the table when the inventory allows it.
func (p *cassandraIntegrity) start(ctx context.Context) error {
	if p.run == "" {
		p.run = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	var first *gocql.Session
	var errs []error
	for _, c := range p.coords {
		s, err := c.session(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if first == nil {
			first = s
		}
	}
	if first == nil {
		return errors.Join(errs...)
	}
	if p.svc.CreateTable {
		ddl := "CREATE TABLE IF NOT EXISTS " + p.table + " (id text PRIMARY KEY, v text)"
		if err := createTable(ctx, p.svc, p.cfg, p.opts, ddl); err != nil {
			return fmt.Errorf("create integrity table %s: %w", p.table, err)
		}
	}
	return nil
}

// session returns the coordinator's pinned session, connecting first if
// needed. Server-side timestamps (DefaultTimestamp off) make the
// coordinator's clock stamp each write: the clock a drift fault moves.
func (c *coordinator) session(p *cassandraIntegrity) (*gocql.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s != nil && !c.s.Closed() {
		return c.s, nil
	}
	svc := p.svc
	svc.ContactPoints = []string{c.addr}
	cluster, err := clusterConfig(svc, p.cfg, nil, p.opts)
	if err != nil {
		return nil, err
	}
	cluster.DefaultTimestamp = false
	cluster.HostFilter = gocql.HostFilterFunc(c.accept)
	// The session has one node: a DC-aware policy would only get in the way.
	cluster.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	s, err := cluster.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("connect to cassandra %s coordinator %s: %w", svc.Name, c.addr, err)
	}
	c.s = s
	return s, nil
}

func (p *cassandraIntegrity) close() {
	for _, c := range p.coords {
		c.mu.Lock()
		if c.s != nil {
			c.s.Close()
			c.s = nil
		}
		c.mu.Unlock()
	}
}

// once runs round n: "a" through coordinator n, "b" through the next, a
// QUORUM read through the one after. It returns the culprit of a lost
// write ("" when none was lost), or the error that stopped the round.
func (p *cassandraIntegrity) once(ctx context.Context, n int64) (string, error) {
	k := len(p.coords)
	a, b, r := p.coords[n%int64(k)], p.coords[(n+1)%int64(k)], p.coords[(n+2)%int64(k)]
	key := p.run + "-" + strconv.FormatInt(n, 10)
	insert := "INSERT INTO " + p.table + " (id, v) VALUES (?, ?) USING TTL " + strconv.Itoa(integrityTTL)
	for _, w := range []struct {
		c *coordinator
		v string
	}{{a, "a"}, {b, "b"}} {
		s, err := w.c.session(p)
		if err != nil {
			return "", opError{write: true, err: errors.Join(gocql.ErrNoConnections, err)}
		}
		if err := s.Query(insert, key, w.v).Consistency(gocql.Quorum).ExecContext(ctx); err != nil {
			return "", opError{write: true, err: err}
		}
	}
	s, err := r.session(p)
	if err != nil {
		return "", opError{err: errors.Join(gocql.ErrNoConnections, err)}
	}
	var v string
	var ts int64
	err = s.Query("SELECT v, WRITETIME(v) FROM "+p.table+" WHERE id = ?", key).
		Consistency(gocql.Quorum).ScanContext(ctx, &v, &ts)
	found := err == nil
	if err != nil && !errors.Is(err, gocql.ErrNotFound) {
		return "", opError{err: err}
	}
	return lostWriteCulprit(found, v, time.UnixMicro(ts), time.Now(), a.addr, b.addr), nil
}

// lostWriteCulprit judges one round's read: "" when the last acknowledged
// write ("b", through coordinator b) is what was read; otherwise who lost
// it. When the surviving write's timestamp is ahead of this machine's
// clock, coordinator a wrote in the future; otherwise coordinator b wrote
// in the past.
func lostWriteCulprit(found bool, v string, written, now time.Time, a, b string) string {
	switch {
	case !found:
		return "both writes via " + a + " and " + b + " missing"
	case v == "b":
		return ""
	case written.After(now.Add(futureSlack)):
		return "coordinator " + a + " wrote in the future"
	default:
		return "coordinator " + b + " wrote in the past"
	}
}

// integrityReading turns the windows of rounds and of lost writes (classed
// by culprit) into a Reading.
func integrityReading(now time.Time, rounds, lost Stats) Reading {
	r := Reading{
		Time: now, Value: float64(lost.Errors), Unit: "lost",
		Count: rounds.Count, Errors: rounds.Errors,
		P50: rounds.P50, P90: rounds.P90, P99: rounds.P99, Max: rounds.Max,
	}
	if len(rounds.Classes) > 0 || lost.Errors > 0 {
		r.ErrorClasses = maps.Clone(rounds.Classes)
		if r.ErrorClasses == nil {
			r.ErrorClasses = map[string]int64{}
		}
		if lost.Errors > 0 {
			r.ErrorClasses["lost"] = lost.Errors
		}
	}
	acked := rounds.Count - rounds.Errors
	switch {
	case rounds.Count == 0:
		r.Status = StatusError
		r.Detail = "no round completed in the window"
	case acked == 0:
		r.Status = StatusError
		r.Detail = fmt.Sprintf("all %d rounds failed (%s)", rounds.Count, strings.Join(classNames(rounds.Classes), ", "))
	case lost.Errors == 0:
		r.Detail = fmt.Sprintf("0 of %d acknowledged writes lost", acked)
	default:
		r.Detail = fmt.Sprintf("%d of %d acknowledged writes lost (%s)", lost.Errors, acked, strings.Join(classNames(lost.Classes), "; "))
	}
	if r.Status != StatusError && rounds.Errors > 0 {
		r.Detail += fmt.Sprintf(", %d rounds failed (%s)", rounds.Errors, strings.Join(classNames(rounds.Classes), ", "))
	}
	return r
}
