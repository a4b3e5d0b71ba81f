// Package cqlfake is an in-process CQL server (native protocol v4) for
// tests of the cassandra.quorum probe: it answers a driver's connection
// set-up (OPTIONS, STARTUP, REGISTER, system.local, system.peers, schema
// queries) and the probe's canary statements — CREATE TABLE, an INSERT of
// (id text, v bigint) and a SELECT of v by id — from a map, and can be told
// to delay every answer or to fail with Unavailable, ReadTimeout or
// WriteTimeout. It is built on the server in
// github.com/datastax/go-cassandra-native-protocol/client.
package cqlfake

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/datastax/go-cassandra-native-protocol/client"
	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
	"github.com/rs/zerolog"
)

// Fault kinds a Server can answer canary statements with.
const (
	Unavailable  = "unavailable"
	ReadTimeout  = "read_timeout"
	WriteTimeout = "write_timeout"
)

// Fault tells the server how to answer canary statements (EXECUTE).
type Fault struct {
	// Kind is "" (answer), Unavailable, ReadTimeout or WriteTimeout. A
	// ReadTimeout applies to reads and a WriteTimeout to writes; the other
	// statements are answered.
	Kind string
	// Every, when > 1, applies Kind only to every Every-th statement.
	Every int64
	// Delay holds every answer this long.
	Delay time.Duration
}

// Server is a running fake.
type Server struct {
	srv  *client.CqlServer
	addr string

	mu       sync.Mutex
	fault    Fault
	rows     map[string][]byte // id → v (bigint, encoded)
	prepared map[string]string // prepared id → normalised query
	eventsTo []*client.CqlServerConnection

	executed atomic.Int64
	failed   atomic.Int64
}

// Start starts a fake on a free loopback port. Close it when done.
func Start() (*Server, error) {
	// The library logs every connection through zerolog's global logger.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{addr: addr, rows: map[string][]byte{}, prepared: map[string]string{}}
	s.srv = client.NewCqlServer(addr, nil)
	s.srv.RequestHandlers = []client.RequestHandler{
		client.HeartbeatHandler,
		client.HandshakeHandler,
		client.NewSetKeyspaceHandler(func(string) {}),
		s.register,
		s.schema,
		client.NewSystemTablesHandler("gameday-fake", "dc1"),
		s.canary,
	}
	s.srv.AcceptTimeout = 500 * time.Millisecond
	if err := s.srv.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("cqlfake: %w", err)
	}
	// The library hands every accepted connection to Accept callers over a
	// channel and blocks the accept loop until someone takes it: take them.
	go func() {
		for !s.srv.IsClosed() {
			_, _ = s.srv.AcceptAny()
		}
	}()
	return s, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("cqlfake: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Close stops the server and drops every connection.
func (s *Server) Close() error { return s.srv.Close() }

// SetFault changes how canary statements are answered from now on.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Executed counts the canary statements answered or failed so far, and
// Failed those failed on purpose.
func (s *Server) Executed() int64 { return s.executed.Load() }

// Failed counts the canary statements failed on purpose.
func (s *Server) Failed() int64 { return s.failed.Load() }

// NotifyStatus pushes a STATUS_CHANGE event (node UP or DOWN for this
// server's own address) to every connection that registered for events,
// as a Cassandra node does when it sees a peer change state.
func (s *Server) NotifyStatus(up bool) error {
	host, port, _ := net.SplitHostPort(s.addr)
	var p int32
	fmt.Sscan(port, &p)
	typ := primitive.StatusChangeTypeDown
	if up {
		typ = primitive.StatusChangeTypeUp
	}
	s.mu.Lock()
	conns := append([]*client.CqlServerConnection(nil), s.eventsTo...)
	s.mu.Unlock()
	if len(conns) == 0 {
		return fmt.Errorf("cqlfake: no connection registered for events")
	}
	for _, c := range conns {
		ev := frame.NewFrame(primitive.ProtocolVersion4, -1,
			&message.StatusChangeEvent{ChangeType: typ, Address: &primitive.Inet{Addr: net.ParseIP(host), Port: p}})
		if err := c.Send(ev); err != nil {
			return fmt.Errorf("cqlfake: push event: %w", err)
		}
	}
	return nil
}

func normalise(q string) string { return strings.Join(strings.Fields(strings.ToLower(q)), " ") }

// register answers REGISTER and remembers the connection for events.
func (s *Server) register(req *frame.Frame, conn *client.CqlServerConnection, _ client.RequestHandlerContext) *frame.Frame {
	if _, ok := req.Body.Message.(*message.Register); !ok {
		return nil
	}
	s.mu.Lock()
	s.eventsTo = append(s.eventsTo, conn)
	s.mu.Unlock()
	return frame.NewFrame(req.Header.Version, req.Header.StreamId, &message.Ready{})
}

// schema answers schema queries with no rows, peers_v2 as a missing table
// (as Cassandra 3 does), and DDL as done.
func (s *Server) schema(req *frame.Frame, _ *client.CqlServerConnection, _ client.RequestHandlerContext) *frame.Frame {
	q, ok := req.Body.Message.(*message.Query)
	if !ok {
		return nil
	}
	n := normalise(q.Query)
	var msg message.Message
	switch {
	case strings.Contains(n, "system.peers_v2"):
		msg = &message.Invalid{ErrorMessage: "unconfigured table peers_v2"}
	case strings.Contains(n, "from system.peers"):
		// One node, no peers; gocql needs the columns even without rows.
		msg = emptyRows("system.peers", []string{"peer", "rpc_address", "preferred_ip"}, datatype.Inet,
			[]string{"data_center", "rack", "release_version"}, datatype.Varchar)
	case strings.Contains(n, "from system_schema."):
		msg = emptyRows("system_schema.keyspaces", nil, nil, []string{"keyspace_name"}, datatype.Varchar)
	case strings.HasPrefix(n, "create table"), strings.HasPrefix(n, "create keyspace"):
		msg = &message.VoidResult{}
	default:
		return nil
	}
	return frame.NewFrame(req.Header.Version, req.Header.StreamId, msg)
}

// emptyRows is a result with the given columns and no rows.
func emptyRows(table string, names1 []string, t1 datatype.DataType, names2 []string, t2 datatype.DataType) *message.RowsResult {
	var cols []*message.ColumnMetadata
	for _, n := range names1 {
		cols = append(cols, column(table, n, t1))
	}
	for _, n := range names2 {
		cols = append(cols, column(table, n, t2))
	}
	return &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: int32(len(cols)), Columns: cols}, Data: message.RowSet{}}
}

var (
	insertRE = regexp.MustCompile(`^insert into ([\w.]+) \(id, v\) values \(\?, \?\)`)
	selectRE = regexp.MustCompile(`^select v from ([\w.]+) where id = \?`)
)

func column(table, name string, typ datatype.DataType) *message.ColumnMetadata {
	ks, tb, _ := strings.Cut(table, ".")
	return &message.ColumnMetadata{Keyspace: ks, Table: tb, Name: name, Type: typ}
}

// canary prepares and executes the probe's INSERT and SELECT.
func (s *Server) canary(req *frame.Frame, _ *client.CqlServerConnection, _ client.RequestHandlerContext) *frame.Frame {
	v, id := req.Header.Version, req.Header.StreamId
	switch m := req.Body.Message.(type) {
	case *message.Prepare:
		n := normalise(m.Query)
		res := &message.PreparedResult{PreparedQueryId: []byte(n)}
		if g := insertRE.FindStringSubmatch(n); g != nil {
			res.VariablesMetadata = &message.VariablesMetadata{PkIndices: []uint16{0},
				Columns: []*message.ColumnMetadata{column(g[1], "id", datatype.Varchar), column(g[1], "v", datatype.Bigint)}}
			res.ResultMetadata = &message.RowsMetadata{ColumnCount: 0}
		} else if g := selectRE.FindStringSubmatch(n); g != nil {
			res.VariablesMetadata = &message.VariablesMetadata{PkIndices: []uint16{0},
				Columns: []*message.ColumnMetadata{column(g[1], "id", datatype.Varchar)}}
			res.ResultMetadata = &message.RowsMetadata{ColumnCount: 1, Columns: []*message.ColumnMetadata{column(g[1], "v", datatype.Bigint)}}
		} else {
			return frame.NewFrame(v, id, &message.Invalid{ErrorMessage: "cqlfake does not know " + m.Query})
		}
		s.mu.Lock()
		s.prepared[n] = n
		s.mu.Unlock()
		return frame.NewFrame(v, id, res)
	case *message.Execute:
		s.mu.Lock()
		q, ok := s.prepared[string(m.QueryId)]
		f := s.fault
		s.mu.Unlock()
		if !ok {
			return frame.NewFrame(v, id, &message.Unprepared{ErrorMessage: "unprepared", Id: m.QueryId})
		}
		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		n := s.executed.Add(1)
		write := strings.HasPrefix(q, "insert")
		if err := s.failure(f, n, write, m.Options.Consistency); err != nil {
			s.failed.Add(1)
			return frame.NewFrame(v, id, err)
		}
		return frame.NewFrame(v, id, s.apply(q, write, m.Options.PositionalValues))
	}
	return nil
}

// failure returns the error message fault f gives the n-th statement, if any.
func (s *Server) failure(f Fault, n int64, write bool, cl primitive.ConsistencyLevel) message.Message {
	if f.Kind == "" || (f.Every > 1 && n%f.Every != 0) {
		return nil
	}
	switch {
	case f.Kind == Unavailable:
		return &message.Unavailable{ErrorMessage: "Cannot achieve consistency level QUORUM", Consistency: cl, Required: 2, Alive: 1}
	case f.Kind == ReadTimeout && !write:
		return &message.ReadTimeout{ErrorMessage: "Operation timed out - received only 1 responses.", Consistency: cl, Received: 1, BlockFor: 2}
	case f.Kind == WriteTimeout && write:
		return &message.WriteTimeout{ErrorMessage: "Operation timed out - received only 1 responses.", Consistency: cl, Received: 1, BlockFor: 2, WriteType: primitive.WriteTypeSimple}
	}
	return nil
}

// apply runs a canary statement against the map.
func (s *Server) apply(q string, write bool, vals []*primitive.Value) message.Message {
	if write {
		if len(vals) != 2 {
			return &message.Invalid{ErrorMessage: "insert wants 2 values"}
		}
		s.mu.Lock()
		s.rows[string(vals[0].Contents)] = append([]byte(nil), vals[1].Contents...)
		s.mu.Unlock()
		return &message.VoidResult{}
	}
	if len(vals) != 1 {
		return &message.Invalid{ErrorMessage: "select wants 1 value"}
	}
	g := selectRE.FindStringSubmatch(q)
	meta := &message.RowsMetadata{ColumnCount: 1, Columns: []*message.ColumnMetadata{column(g[1], "v", datatype.Bigint)}}
	s.mu.Lock()
	row, ok := s.rows[string(vals[0].Contents)]
	s.mu.Unlock()
	data := message.RowSet{}
	if ok {
		data = append(data, message.Row{row})
	}
	return &message.RowsResult{Metadata: meta, Data: data}
}

// Bigint encodes v as CQL bigint, for tests that read the fake's rows.
func Bigint(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
