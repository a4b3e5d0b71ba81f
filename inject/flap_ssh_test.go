package inject_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/timeline"
	"golang.org/x/sys/unix"
)

// inNetns runs fn on a thread inside network namespace ns (ip netns's
// name): sockets fn opens belong to that namespace for their whole life.
func inNetns(t *testing.T, ns string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	target, err := os.Open(filepath.Join("/var/run/netns", ns))
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	setns := func(f *os.File) error {
		return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
	}
	if err := setns(target); err != nil {
		t.Fatalf("setns %s: %v", ns, err)
	}
	defer func() {
		if err := setns(self); err != nil {
			panic("cannot return to the test's network namespace: " + err.Error())
		}
	}()
	fn()
}

// datagrams sends numbered UDP datagrams from one namespace host to
// another, stamping each send, and records which arrived: the flap's
// effect, packet by packet.
type datagrams struct {
	mu       sync.Mutex
	sent     []sent
	received map[uint64]bool
	stop     chan struct{}
	done     sync.WaitGroup
	conn     *net.UDPConn
}

type sent struct {
	seq        uint64
	start, end time.Time // around the write: the packet left within
}

func sendDatagrams(t *testing.T, from, to *nshost.Host) *datagrams {
	t.Helper()
	d := &datagrams{received: map[uint64]bool{}, stop: make(chan struct{})}
	var in *net.UDPConn
	inNetns(t, to.NS, func() {
		var err error
		if in, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(to.Addr), Port: 7007}); err != nil {
			t.Fatalf("listen on %s: %v", to.Name, err)
		}
	})
	inNetns(t, from.NS, func() {
		var err error
		if d.conn, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.ParseIP(to.Addr), Port: 7007}); err != nil {
			t.Fatalf("dial from %s: %v", from.Name, err)
		}
	})
	t.Cleanup(func() { in.Close(); d.conn.Close() })
	d.done.Go(func() {
		buf := make([]byte, 16)
		for {
			n, err := in.Read(buf)
			if err != nil {
				return
			}
			if n == 8 {
				d.mu.Lock()
				d.received[binary.BigEndian.Uint64(buf)] = true
				d.mu.Unlock()
			}
		}
	})
	d.done.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for seq := uint64(1); ; seq++ {
			select {
			case <-d.stop:
				return
			case <-tick.C:
			}
			d.send(seq)
		}
	})
	return d
}

func (d *datagrams) send(seq uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	start := time.Now()
	_, err := d.conn.Write(b[:])
	end := time.Now()
	// A write refused by the DROP rule (EPERM) is a dropped packet too.
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return
	}
	d.mu.Lock()
	d.sent = append(d.sent, sent{seq, start, end})
	d.mu.Unlock()
}

func (d *datagrams) arrived(seq uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.received[seq]
}

// sample is one try at the faulted path: when it was made and whether it
// got through.
type sample struct {
	start, end time.Time
	passed     bool
}

// judgeFlap checks the toggle events of fault id on host (in order,
// numbered, alternating, verified) and judges every sample made wholly
// inside a phase that surely held: a guard logs a cut only once verified
// and heals no earlier than cut after it (and the other way round), so a
// sample within [verified, verified+phase) — cut short by the stop, sent
// after stopAt — must fail in a cut and pass in a heal. The first six
// windows must each have judged samples.
func judgeFlap(t *testing.T, id, host string, evs []timeline.Event, cut, heal time.Duration, stopAt time.Time, samples []sample) {
	t.Helper()
	type window struct {
		from, to time.Time
		cut      bool
		judged   int
	}
	var windows []*window
	for i, e := range evs {
		tg := e.Fault().Toggle
		if tg == nil || tg.Host != host || tg.N != i+1 || e.Fault().FaultID != id {
			t.Fatalf("toggle event %d = %+v (%+v), want toggle %d of %s on %s", i, e, tg, i+1, id, host)
		}
		want := inject.ToggleCut
		if i%2 == 1 {
			want = inject.ToggleHealed
		}
		if tg.State != want || tg.Verified.IsZero() {
			t.Fatalf("toggle %d is %q verified at %v, want %q with its verification time", tg.N, tg.State, tg.Verified, want)
		}
		phase := heal
		if tg.State == inject.ToggleCut {
			phase = cut
		}
		w := &window{from: tg.Verified, to: tg.Verified.Add(phase), cut: tg.State == inject.ToggleCut}
		if w.to.After(stopAt) {
			w.to = stopAt // the stop may cut a phase short
		}
		windows = append(windows, w)
	}
	if len(windows) < 6 {
		t.Fatalf("%d toggles, want at least 6", len(windows))
	}
	for _, s := range samples {
		for _, w := range windows {
			if s.start.Before(w.from) || !s.end.Before(w.to) {
				continue
			}
			w.judged++
			if s.passed == w.cut {
				t.Errorf("a try at %s passed = %v during the %s verified at %s", s.start.Format("15:04:05.000"), s.passed,
					map[bool]string{true: "cut", false: "heal"}[w.cut], w.from.Format("15:04:05.000"))
			}
		}
	}
	for _, w := range windows[:6] {
		if w.judged == 0 {
			t.Errorf("no try judged in the window from %s (cut=%v): the test saw nothing of it", w.from.Format("15:04:05.000"), w.cut)
		}
	}
}

// flapRecord is a recorder with what a flap test reads of it: the
// fault.toggle events as they come, and the report's figures at the end.
type flapRecord struct {
	rec     *timeline.Recorder
	toggles func() []timeline.Event
	ana     *timeline.Analyzer
	fed     chan struct{}
}

func recordFlap(t *testing.T) *flapRecord {
	fr := &flapRecord{rec: timeline.NewRecorder(), ana: timeline.NewAnalyzer(), fed: make(chan struct{})}
	t.Cleanup(fr.rec.Close)
	sub := fr.rec.Subscribe(4096)
	var mu sync.Mutex
	var got []timeline.Event
	go func() {
		defer close(fr.fed)
		for e := range sub.C() {
			fr.ana.Feed(e)
			if e.Kind == timeline.FaultToggle {
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
			}
		}
	}()
	fr.toggles = func() []timeline.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]timeline.Event(nil), got...)
	}
	return fr
}

// checkReport closes the recorder and checks that the report's flap
// figures for fault id count what its toggle events say.
func (fr *flapRecord) checkReport(t *testing.T, id string) *timeline.Report {
	t.Helper()
	fr.rec.Close()
	<-fr.fed
	var cuts, heals int
	for _, e := range fr.toggles() {
		if e.Fault().Toggle.State == inject.ToggleCut {
			cuts++
		} else {
			heals++
		}
	}
	rep := fr.ana.Report(timeline.ReportOptions{})
	for _, f := range rep.Faults {
		if f.ID != id {
			continue
		}
		if f.Flap == nil || f.Flap.Cuts != cuts || f.Flap.Heals != heals || f.Flap.Failed != 0 || cuts < 3 || heals < 3 {
			t.Errorf("report flap = %+v, events: %d cuts, %d heals (want ≥ 3 each)", f.Flap, cuts, heals)
		}
		return rep
	}
	t.Fatalf("the report has no fault %s: %+v", id, rep.Faults)
	return nil
}

// waitToggles waits until n toggles are recorded (bounded only so that a
// stuck flap fails the test instead of hanging it).
func waitToggles(t *testing.T, got func() []timeline.Event, n int) []timeline.Event {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); len(got()) < n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d toggles recorded: %v", len(got()), n, got())
		}
	}
	return got()
}

// TestFlapOverSSHDropsDuringCutsAndPassesDuringHeals flaps a partition of
// host1 from host2 over the real SSH path and judges every datagram sent
// while a toggle's phase surely held: the guard logs a cut only once its
// rules verified in place, and heals no earlier than the cut phase after
// (and the other way round), so a datagram sent within
// [verified, verified+phase) must be dropped (cut) or arrive (heal). Each
// toggle is recorded once, in order, verified; the report counts them;
// the revert leaves host1 byte-equal to its baseline.
func TestFlapOverSSHDropsDuringCutsAndPassesDuringHeals(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{})
	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	fr := recordFlap(t)
	m, err := inject.NewManager(bed.Inventory(), fr.rec, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })

	before := bed.Snapshot(h1)
	d := sendDatagrams(t, h1, h2)
	const cut, heal = time.Second, time.Second
	ctx := context.Background()
	a, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{"host1"},
		Params: map[string]string{"peers": "host2", "flap": "1s/1s"}, TTL: 2 * time.Minute})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	// Three cuts and three heals judged; the seventh toggle bounds the
	// sixth's window.
	waitToggles(t, fr.toggles, 7)
	stopAt := time.Now() // the stop goes out after this
	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	close(d.stop)
	// A last datagram after the revert: once it is in, every earlier one
	// that passed is in too (one flow, in order).
	last := uint64(1 << 40)
	d.send(last)
	for deadline := time.Now().Add(10 * time.Second); !d.arrived(last); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a datagram sent after the revert never arrived: host1 is still cut off from host2")
		}
	}

	evs := fr.toggles()
	d.mu.Lock()
	samples := make([]sample, len(d.sent))
	for i, s := range d.sent {
		samples[i] = sample{start: s.start, end: s.end, passed: d.received[s.seq]}
	}
	d.mu.Unlock()
	judgeFlap(t, a.ID, "host1", evs, cut, heal, stopAt, samples)
	if after := bed.Snapshot(h1); after != before {
		t.Errorf("host1 after the flap's revert differs from its baseline:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	fr.checkReport(t, a.ID)
	t.Logf("%d toggles, %d datagrams sent", len(evs), len(samples))
}

// TestFlapOverSSHHealsAtTTLWithoutGameday: the gameday that armed a flap
// goes away (its Manager closed, no revert); the host's guard flaps on by
// itself, heals at the TTL, verifies it, and the host is byte-equal to its
// baseline; a later gameday finds the fault expired.
func TestFlapOverSSHHealsAtTTLWithoutGameday(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{})
	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	m, err := inject.NewManager(bed.Inventory(), nil, ledger)
	if err != nil {
		t.Fatal(err)
	}
	before := bed.Snapshot(h1)
	a, err := m.Arm(context.Background(), inject.Request{Kind: "partition", Hosts: []string{"host1"},
		Params: map[string]string{"peers": "host2", "flap": "1s/1s"}, TTL: 5 * time.Second})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	m.Close() // gameday is gone: nobody reverts, nobody watches
	d := sendDatagrams(t, h1, h2)
	defer close(d.stop)
	later, err := inject.NewManager(bed.Inventory(), nil, ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	waitExpired(t, later, a.ID)
	if after := bed.Snapshot(h1); after != before {
		t.Errorf("host1 after the guard's heal differs from its baseline:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	last := uint64(1 << 40)
	d.send(last)
	for deadline := time.Now().Add(10 * time.Second); !d.arrived(last); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("after the TTL host1 still cannot reach host2")
		}
	}
}

// waitExpired has m settle the faults past their deadline until fault id
// is no longer armed, and wants it expired: its guard healed, verified.
func waitExpired(t *testing.T, m *inject.Manager, id string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if err := m.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		all, err := m.List(false)
		if err != nil || len(all) != 1 || all[0].ID != id {
			t.Fatalf("List = %+v, %v", all, err)
		}
		switch st := all[0].State; {
		case st == inject.StateExpired:
			return
		case st != inject.StateArmed:
			t.Fatalf("after the TTL the fault is %q (%+v), want %q (guard healed, verified)", st, all[0], inject.StateExpired)
		case time.Now().After(deadline):
			t.Fatalf("the flap's guard never expired it: %+v", all[0])
		}
	}
}
