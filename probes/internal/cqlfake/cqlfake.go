// Package cqlfake is an in-process CQL server (native protocol v4) for
// tests of the cassandra.quorum probe: it answers a driver's connection
// set-up (OPTIONS, STARTUP, REGISTER, USE, system.local, system.peers,
// schema queries) and the probe's canary statements — CREATE TABLE, an
// INSERT of (id text, v bigint) and a SELECT of v by id — from a map, and
// can be told to delay every answer or to fail with Unavailable,
// ReadTimeout or WriteTimeout. Frames are encoded and decoded by
// github.com/datastax/go-cassandra-native-protocol; the connection handling
// is this package's own (the library's test server races on close).
package cqlfake

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
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
	ln    net.Listener
	codec frame.Codec
	wg    sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	conns    map[*conn]struct{}
	fault    Fault
	rows     map[string][]byte // id → v (bigint, encoded)
	prepared map[string]bool   // prepared ids (the normalised query)
	eventsTo []*conn

	executed atomic.Int64
	failed   atomic.Int64
}

// conn is one client connection; writes are serialised, answers to
// concurrent requests may leave in any order (stream ids tell them apart).
type conn struct {
	nc  net.Conn
	wmu sync.Mutex
}

func (c *conn) send(codec frame.Codec, f *frame.Frame) error {
	var b bytes.Buffer
	if err := codec.EncodeFrame(f, &b); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(b.Bytes())
	return err
}

// Start starts a fake on a free loopback port. Close it when done.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cqlfake: listen: %w", err)
	}
	s := &Server{ln: ln, codec: frame.NewCodec(), conns: map[*conn]struct{}{},
		rows: map[string][]byte{}, prepared: map[string]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &conn{nc: nc}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

// serve reads requests and answers each in its own goroutine, so that a
// delayed answer does not hold up the others on the connection.
func (s *Server) serve(c *conn) {
	defer s.wg.Done()
	var handlers sync.WaitGroup
	defer handlers.Wait()
	defer func() {
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	r := bufio.NewReader(c.nc)
	for {
		req, err := s.codec.DecodeFrame(r)
		if err != nil {
			return
		}
		handlers.Add(1)
		go func() {
			defer handlers.Done()
			_ = c.send(s.codec, s.answer(req, c))
		}()
	}
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, drops every connection and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// SetFault changes how canary statements are answered from now on.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Executed counts the canary statements answered or failed so far.
func (s *Server) Executed() int64 { return s.executed.Load() }

// Failed counts the canary statements failed on purpose.
func (s *Server) Failed() int64 { return s.failed.Load() }

// NotifyStatus pushes a STATUS_CHANGE event (node UP or DOWN for this
// server's own address) to every connection that registered for events,
// as a Cassandra node does when it sees a peer change state.
func (s *Server) NotifyStatus(up bool) error {
	addr := s.ln.Addr().(*net.TCPAddr)
	typ := primitive.StatusChangeTypeDown
	if up {
		typ = primitive.StatusChangeTypeUp
	}
	s.mu.Lock()
	conns := append([]*conn(nil), s.eventsTo...)
	s.mu.Unlock()
	if len(conns) == 0 {
		return fmt.Errorf("cqlfake: no connection registered for events")
	}
	for _, c := range conns {
		ev := frame.NewFrame(primitive.ProtocolVersion4, -1,
			&message.StatusChangeEvent{ChangeType: typ, Address: &primitive.Inet{Addr: addr.IP, Port: int32(addr.Port)}})
		if err := c.send(s.codec, ev); err != nil {
			return fmt.Errorf("cqlfake: push event: %w", err)
		}
	}
	return nil
}

// answer returns the response to one request.
func (s *Server) answer(req *frame.Frame, c *conn) *frame.Frame {
	var msg message.Message
	switch m := req.Body.Message.(type) {
	case *message.Options:
		msg = &message.Supported{Options: map[string][]string{"CQL_VERSION": {"3.4.4"}, "PROTOCOL_VERSIONS": {"4/v4"}}}
	case *message.Startup:
		msg = &message.Ready{}
	case *message.Register:
		s.mu.Lock()
		s.eventsTo = append(s.eventsTo, c)
		s.mu.Unlock()
		msg = &message.Ready{}
	case *message.Query:
		msg = s.query(m, c)
	case *message.Prepare:
		msg = s.prepare(m)
	case *message.Execute:
		msg = s.execute(m)
	default:
		msg = &message.ProtocolError{ErrorMessage: fmt.Sprintf("cqlfake does not handle %T", m)}
	}
	return frame.NewFrame(req.Header.Version, req.Header.StreamId, msg)
}

func normalise(q string) string { return strings.Join(strings.Fields(strings.ToLower(q)), " ") }

// query answers the unprepared queries of a driver's set-up, and DDL.
func (s *Server) query(m *message.Query, c *conn) message.Message {
	n := normalise(m.Query)
	switch {
	case strings.HasPrefix(n, "use "):
		return &message.SetKeyspaceResult{Keyspace: strings.Trim(strings.TrimPrefix(n, "use "), `"`)}
	case strings.HasPrefix(n, "select schema_version from system.local"):
		return &message.RowsResult{
			Metadata: &message.RowsMetadata{ColumnCount: 1, Columns: []*message.ColumnMetadata{column("system.local", "schema_version", datatype.Uuid)}},
			Data:     message.RowSet{{schemaVersion[:]}},
		}
	case strings.HasPrefix(n, "select * from system.local"):
		return systemLocal(c.nc.LocalAddr().(*net.TCPAddr))
	case strings.Contains(n, "system.peers_v2"):
		return &message.Invalid{ErrorMessage: "unconfigured table peers_v2"} // as Cassandra 3 answers
	case strings.Contains(n, "from system.peers"):
		// One node, no peers; the driver needs the columns even so.
		return emptyRows("system.peers", []string{"peer", "rpc_address", "preferred_ip"}, datatype.Inet,
			[]string{"data_center", "rack", "release_version"}, datatype.Varchar)
	case strings.Contains(n, "from system_schema."):
		return emptyRows("system_schema.keyspaces", nil, nil, []string{"keyspace_name"}, datatype.Varchar)
	case strings.HasPrefix(n, "create table"), strings.HasPrefix(n, "create keyspace"):
		return &message.VoidResult{}
	}
	return &message.Invalid{ErrorMessage: "cqlfake does not know " + m.Query}
}

var (
	hostID        = [16]byte{0x67, 0x61, 0x6d, 0x65, 0x64, 0x61, 0x79, 0x2d, 0x66, 0x61, 0x6b, 0x65, 0x2d, 0x30, 0x30, 0x31}
	schemaVersion = [16]byte{0x73, 0x63, 0x68, 0x65, 0x6d, 0x61, 0x2d, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x2d, 0x31}
)

// systemLocal is the one row of system.local: this node, owning the whole
// ring, in dc1/rack1, claiming Cassandra 3.11 (so the driver reads
// system.peers, not peers_v2).
func systemLocal(addr *net.TCPAddr) *message.RowsResult {
	ip := addr.IP.To4()
	if ip == nil {
		ip = addr.IP
	}
	// set<varchar> {'-9223372036854775808'}: element count, then each
	// element's length and bytes (protocol v4 uses 4-byte ints).
	token := "-9223372036854775808"
	tokens := binary.BigEndian.AppendUint32(nil, 1)
	tokens = binary.BigEndian.AppendUint32(tokens, uint32(len(token)))
	tokens = append(tokens, token...)
	cols := []struct {
		name  string
		typ   datatype.DataType
		value []byte
	}{
		{"key", datatype.Varchar, []byte("local")},
		{"broadcast_address", datatype.Inet, ip},
		{"cluster_name", datatype.Varchar, []byte("gameday-fake")},
		{"cql_version", datatype.Varchar, []byte("3.4.4")},
		{"data_center", datatype.Varchar, []byte("dc1")},
		{"host_id", datatype.Uuid, hostID[:]},
		{"listen_address", datatype.Inet, ip},
		{"partitioner", datatype.Varchar, []byte("org.apache.cassandra.dht.Murmur3Partitioner")},
		{"rack", datatype.Varchar, []byte("rack1")},
		{"release_version", datatype.Varchar, []byte("3.11.17")},
		{"rpc_address", datatype.Inet, ip},
		{"schema_version", datatype.Uuid, schemaVersion[:]},
		{"tokens", datatype.NewSet(datatype.Varchar), tokens},
	}
	meta := &message.RowsMetadata{ColumnCount: int32(len(cols))}
	var row message.Row
	for _, c := range cols {
		meta.Columns = append(meta.Columns, column("system.local", c.name, c.typ))
		row = append(row, c.value)
	}
	return &message.RowsResult{Metadata: meta, Data: message.RowSet{row}}
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

// prepare prepares the probe's INSERT and SELECT; the prepared id is the
// normalised query.
func (s *Server) prepare(m *message.Prepare) message.Message {
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
		return &message.Invalid{ErrorMessage: "cqlfake does not know " + m.Query}
	}
	s.mu.Lock()
	s.prepared[n] = true
	s.mu.Unlock()
	return res
}

// execute runs a prepared canary statement, unless the fault says to fail.
func (s *Server) execute(m *message.Execute) message.Message {
	q := string(m.QueryId)
	s.mu.Lock()
	ok := s.prepared[q]
	f := s.fault
	s.mu.Unlock()
	if !ok {
		return &message.Unprepared{ErrorMessage: "unprepared", Id: m.QueryId}
	}
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}
	n := s.executed.Add(1)
	write := strings.HasPrefix(q, "insert")
	if err := s.failure(f, n, write, m.Options.Consistency); err != nil {
		s.failed.Add(1)
		return err
	}
	return s.apply(q, write, m.Options.PositionalValues)
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
