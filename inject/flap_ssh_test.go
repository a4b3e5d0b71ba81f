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

// toggles collects the fault.toggle events of a recorder.
func toggles(t *testing.T, rec *timeline.Recorder) func() []timeline.Event {
	sub := rec.Subscribe(1024)
	var mu sync.Mutex
	var got []timeline.Event
	go func() {
		for e := range sub.C() {
			if e.Kind == timeline.FaultToggle {
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(sub.Close)
	return func() []timeline.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]timeline.Event(nil), got...)
	}
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
	rec := timeline.NewRecorder()
	t.Cleanup(rec.Close)
	got := toggles(t, rec)
	m, err := inject.NewManager(bed.Inventory(), rec, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ana := timeline.NewAnalyzer()
	all := rec.Subscribe(4096)
	anaDone := make(chan struct{})
	go func() {
		defer close(anaDone)
		for e := range all.C() {
			ana.Feed(e)
		}
	}()

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
	waitToggles(t, got, 7)
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

	evs := got()
	type window struct {
		from, to time.Time
		cut      bool
		judged   int
	}
	var windows []*window
	for i, e := range evs {
		tg := e.Fault().Toggle
		if tg == nil || tg.Host != "host1" || tg.N != i+1 || e.Fault().FaultID != a.ID {
			t.Fatalf("toggle event %d = %+v (%+v), want toggle %d of %s on host1", i, e, tg, i+1, a.ID)
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
	d.mu.Lock()
	sentAll := append([]sent(nil), d.sent...)
	d.mu.Unlock()
	for _, s := range sentAll {
		for _, w := range windows {
			if s.start.Before(w.from) || !s.end.Before(w.to) {
				continue
			}
			w.judged++
			if arrived := d.arrived(s.seq); arrived == w.cut {
				t.Errorf("datagram %d sent at %s arrived = %v during the %s verified at %s", s.seq,
					s.start.Format("15:04:05.000"), arrived, map[bool]string{true: "cut", false: "heal"}[w.cut], w.from.Format("15:04:05.000"))
			}
		}
	}
	var cuts, heals int
	for _, w := range windows[:6] {
		if w.judged == 0 {
			t.Errorf("no datagram judged in the window from %s (cut=%v): the test saw nothing of it", w.from.Format("15:04:05.000"), w.cut)
		}
		if w.cut {
			cuts++
		} else {
			heals++
		}
	}
	if after := bed.Snapshot(h1); after != before {
		t.Errorf("host1 after the flap's revert differs from its baseline:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// The report counts what the events say.
	rec.Close()
	<-anaDone
	rep := ana.Report(timeline.ReportOptions{})
	var fr *timeline.FaultReport
	for i := range rep.Faults {
		if rep.Faults[i].ID == a.ID {
			fr = &rep.Faults[i]
		}
	}
	if fr == nil || fr.Flap == nil {
		t.Fatalf("the report has no flap figures for %s: %+v", a.ID, rep.Faults)
	}
	wantCuts, wantHeals := 0, 0
	for _, e := range evs {
		if e.Fault().Toggle.State == inject.ToggleCut {
			wantCuts++
		} else {
			wantHeals++
		}
	}
	if fr.Flap.Cuts != wantCuts || fr.Flap.Heals != wantHeals || fr.Flap.Failed != 0 || wantCuts < 3 || wantHeals < 3 {
		t.Errorf("report flap = %+v, events: %d cuts, %d heals (want ≥ 3 each)", *fr.Flap, wantCuts, wantHeals)
	}
	t.Logf("%d toggles (%d cuts, %d heals; first six windows: %d cuts, %d heals judged), %d datagrams sent", len(evs), wantCuts, wantHeals, cuts, heals, len(sentAll))
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
	var state inject.State
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if err := later.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		all, err := later.List(false)
		if err != nil || len(all) != 1 || all[0].ID != a.ID {
			t.Fatalf("List = %+v, %v", all, err)
		}
		if state = all[0].State; state != inject.StateArmed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the flap's guard never expired it: %+v", all[0])
		}
	}
	if state != inject.StateExpired {
		t.Fatalf("after the TTL the fault is %q, want %q (guard reverted, verified)", state, inject.StateExpired)
	}
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
