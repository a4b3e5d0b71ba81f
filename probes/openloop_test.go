package probes

import (
	"bufio"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallServer is a single-threaded line server in the manner of Redis:
// it answers each line with "+PONG", and once told to, stops answering
// everything for a while, as a stuck Redis would.
type stallServer struct {
	ln         net.Listener
	mu         sync.Mutex
	armed      time.Duration // the next request stalls the server this long
	stallUntil time.Time
	served     atomic.Int64
}

func startStallServer(t *testing.T) *stallServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stallServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *stallServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		s.mu.Lock()
		if s.armed > 0 {
			s.stallUntil, s.armed = time.Now().Add(s.armed), 0
		}
		wait := time.Until(s.stallUntil)
		s.mu.Unlock()
		if wait > 0 {
			time.Sleep(wait)
		}
		s.served.Add(1)
		if _, err := c.Write([]byte("+PONG\n")); err != nil {
			return
		}
	}
}

// stall makes the server stop answering for d from the next request on.
func (s *stallServer) stall(d time.Duration) {
	s.mu.Lock()
	s.armed = d
	s.mu.Unlock()
}

// ping opens a connection, sends one line and reads the answer.
func (s *stallServer) ping(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.ln.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte("PING\n")); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return err
}

// TestOpenModelShowsStall pins the reason the latency probes are open
// model: a 1 s stall of a server probed at 10/s must show as a p99 of
// about a second, not be hidden behind a single slow request.
func TestOpenModelShowsStall(t *testing.T) {
	srv := startStallServer(t)
	p := &openProbe{
		name: "test.latency", target: "stall",
		cfg: Config{Rate: 10, Timeout: 3 * time.Second, Window: 3 * time.Second, Report: 250 * time.Millisecond},
		do:  srv.ping,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readings := make(chan Reading, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, func(r Reading) { readings <- r })
	}()
	defer func() { cancel(); <-done }()

	var before Reading
	for before.Count < 10 {
		before = <-readings
	}
	if before.Status == StatusError || before.P99 >= 900 {
		t.Fatalf("before the stall: %+v, want a fast ok window", before)
	}
	srv.stall(time.Second)
	var worst Reading
	deadline := time.After(6 * time.Second)
	for worst.P99 < 900 {
		select {
		case r := <-readings:
			if r.P99 > worst.P99 {
				worst = r
			}
		case <-deadline:
			t.Fatalf("no window showed the 1 s stall: worst p99 %.1fms over %d requests", worst.P99, worst.Count)
		}
	}
	if worst.Errors != 0 {
		t.Errorf("stall window had %d errors (%v), want slow successes", worst.Errors, worst.ErrorClasses)
	}
	t.Logf("stall window: %d requests, p50 %.1fms p99 %.1fms max %.1fms", worst.Count, worst.P50, worst.P99, worst.Max)
}

// TestPacerOverflowCountsInsteadOfWaiting checks that with every slot
// taken by hung requests the pacer reports overflow and keeps its rate.
func TestPacerOverflowCountsInsteadOfWaiting(t *testing.T) {
	var hits, overflows atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	Pacer{Rate: 50, MaxInFlight: 2}.Run(ctx, func(ctx context.Context, due time.Time) {
		hits.Add(1)
		<-ctx.Done() // a hung request
	}, func(time.Time) { overflows.Add(1) })
	// 2 slots; a third hit can slip in only at the instant ctx ends.
	if hits.Load() < 2 || hits.Load() > 3 {
		t.Errorf("hits = %d, want the 2 in-flight slots", hits.Load())
	}
	if overflows.Load() < 10 {
		t.Errorf("overflows = %d, want the pacer to keep ticking (~28) while requests hang", overflows.Load())
	}
}
