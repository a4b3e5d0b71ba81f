package session

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// liveSession opens a shared live session on an inventory of one local
// host whose faults run through sh on this machine.
func liveSession(t *testing.T) *Session {
	t.Helper()
	inv := &targets.Inventory{Name: "local", Hosts: []targets.Host{{Name: "local", Address: "127.0.0.1"}}}
	s, err := Open(Config{Source: "serve", Targets: inv, StateDir: t.TempDir(), Shared: true,
		FaultOptions: []inject.Option{inject.WithRunner(inject.LocalRunner{})}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.RevertArmed(context.Background())
		s.Close("test over")
	})
	return s
}

func attach(t *testing.T, s *Session, name string, r Role) *Attachment {
	t.Helper()
	a, err := s.Attach(Person{Name: name, Role: r, From: "192.0.2.1:5555"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// read returns the screen's events until one of kind k by summary sub
// arrives, failing after 10 s; reset reports whether any read was a reset.
func read(t *testing.T, a *Attachment, k timeline.Kind, sub string) (seen []timeline.Event, reset bool) {
	t.Helper()
	type next struct {
		evs       []timeline.Event
		reset, ok bool
	}
	deadline := time.After(10 * time.Second)
	for {
		ch := make(chan next, 1)
		go func() { evs, r, ok := a.Next(); ch <- next{evs, r, ok} }()
		select {
		case n := <-ch:
			if !n.ok {
				t.Fatalf("%s: attachment ended before %s %q", a.Who(), k, sub)
			}
			reset = reset || n.reset
			seen = append(seen, n.evs...)
			for _, e := range n.evs {
				if e.Kind == k && strings.Contains(shown(e), sub) {
					return seen, reset
				}
			}
		case <-deadline:
			t.Fatalf("%s: no %s %q within 10 s; saw %v", a.Who(), k, sub, summaries(seen))
		}
	}
}

func summaries(evs []timeline.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Kind)+" "+shown(e))
	}
	return out
}

// shown is an event's summary as screens and the report show it: with
// who did it.
func shown(e timeline.Event) string {
	if e.By == "" {
		return e.Summary
	}
	return e.Summary + " (" + e.By + ")"
}

func sleeper(t *testing.T) (int, string) {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pidfile := filepath.Join(t.TempDir(), "sleep.pid")
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, pidfile
}

func procState(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

func TestRolesDecideWhatAScreenDoes(t *testing.T) {
	s := liveSession(t)
	fac := attach(t, s, "alice", Facilitator)
	obs := attach(t, s, "bob", Observer)
	scribe := attach(t, s, "carol", Scribe)
	trainee := attach(t, s, "dave", Trainee)
	pid, pidfile := sleeper(t)
	req := inject.Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: time.Minute}

	// An observer's arming does nothing and says why, naming who may.
	if _, err := obs.Arm(context.Background(), req); err == nil || !strings.Contains(err.Error(), "observers do not arm") || !strings.Contains(err.Error(), "alice") {
		t.Fatalf("observer Arm: %v, want a refusal naming alice", err)
	}
	if _, err := scribe.Revert(context.Background(), "x"); err == nil {
		t.Fatal("a scribe reverted")
	}
	if st := procState(t, pid); st == "T" {
		t.Fatal("the observer's arm paused the process")
	}
	if err := obs.Note("looks fine"); err == nil || !strings.Contains(err.Error(), "carol") {
		t.Fatalf("observer Note: %v, want a refusal naming the scribe carol", err)
	}

	// The facilitator arms; every screen that may see faults sees it.
	a, err := fac.Arm(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if st := procState(t, pid); st != "T" {
		t.Fatalf("after arming, process state %q, want T (stopped)", st)
	}
	for _, scr := range []*Attachment{fac, obs, scribe} {
		read(t, scr, timeline.FaultArmed, "pause")
		list, err := scr.List(true)
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Errorf("%s lists %v, %v; want %s", scr.Who(), list, err, a.ID)
		}
	}
	if got := s.ArmedBy(a.ID); got != "alice" {
		t.Errorf("ArmedBy = %q, want alice", got)
	}

	// A scribe's note reaches every screen, trainees' included, attributed.
	if err := scribe.Note("lag climbing as expected"); err != nil {
		t.Fatal(err)
	}
	seen, _ := read(t, trainee, timeline.Note, "lag climbing as expected (carol)")
	read(t, obs, timeline.Note, "lag climbing as expected (carol)")

	// The trainee never saw the fault and lists nothing.
	for _, e := range seen {
		if strings.HasPrefix(string(e.Kind), "fault.") || strings.Contains(e.Summary, "pause") {
			t.Errorf("trainee saw %s %q", e.Kind, e.Summary)
		}
	}
	if list, _ := trainee.List(true); len(list) != 0 {
		t.Errorf("trainee lists %v", list)
	}

	// The session takes down what it armed.
	if n, err := s.RevertArmed(context.Background()); n != 1 || err != nil {
		t.Fatalf("RevertArmed = %d, %v; want 1", n, err)
	}
	if st := procState(t, pid); st == "T" {
		t.Fatal("process still stopped after RevertArmed")
	}
}

func TestAStalledScreenNeverSlowsTheOthersAndCatchesUp(t *testing.T) {
	s := liveSession(t)
	stalled := attach(t, s, "frozen", Observer)
	live := attach(t, s, "alice", Facilitator)
	read(t, stalled, timeline.SessionJoin, "alice joined") // then it stops reading
	// The live screen reads each half-queue before the next is recorded;
	// the stalled one reads nothing.
	n := 3 * ScreenQueue / 2
	var seen []timeline.Event
	for i := range n {
		s.Recorder().Record(timeline.NewEvent(timeline.Note, "test", "note %d", i))
		if (i+1)%(ScreenQueue/2) == 0 {
			got, _ := read(t, live, timeline.Note, "note "+strconv.Itoa(i))
			seen = append(seen, got...)
		}
	}
	notes := 0
	for _, e := range seen {
		if e.Kind == timeline.Note {
			if e.Summary != "note "+strconv.Itoa(notes) {
				t.Fatalf("live screen: note %d is %q: events lost or out of order", notes, e.Summary)
			}
			notes++
		}
	}
	if notes != n {
		t.Fatalf("live screen got %d notes, want %d", notes, n)
	}
	if live.Resets() != 0 {
		t.Errorf("the reading screen was reset %d times", live.Resets())
	}
	stalled.mu.Lock()
	queued, resets := len(stalled.queue), stalled.resets
	stalled.mu.Unlock()
	if queued > ScreenQueue || resets == 0 {
		t.Fatalf("stalled screen holds %d queued events after %d resets: want at most %d, and a reset", queued, resets, ScreenQueue)
	}
	// When it reads again it is rebuilt from the history: the latest note
	// is there, and it goes on live from there.
	evs, reset, ok := stalled.Next()
	if !ok || !reset || len(evs) == 0 || evs[len(evs)-1].Summary != "note "+strconv.Itoa(n-1) {
		t.Fatalf("stalled screen's next read: reset %v ok %v, %d events ending %v", reset, ok, len(evs), summaries(evs[max(0, len(evs)-1):]))
	}
	s.Recorder().Record(timeline.NewEvent(timeline.Note, "test", "after"))
	if _, reset := read(t, stalled, timeline.Note, "after"); reset {
		t.Error("after catching up, the screen was reset again")
	}
}

func TestRejoinFindsTheSessionAsItWas(t *testing.T) {
	s := liveSession(t)
	alice := attach(t, s, "alice", Facilitator)
	bob := attach(t, s, "bob", Observer)
	if err := alice.HandOver("bob"); err != nil {
		t.Fatal(err)
	}
	if err := bob.MayArm(); err != nil {
		t.Fatalf("after the hand-over bob may not arm: %v", err)
	}
	if err := alice.Note("before the drop"); err != nil {
		t.Fatal(err)
	}
	read(t, alice, timeline.Note, "before the drop")
	alice.Detach()
	bob.Detach()
	if _, _, ok := alice.Next(); ok {
		t.Fatal("a detached screen still reads")
	}

	bob = attach(t, s, "bob", Observer)
	if bob.Role() != string(Facilitator) {
		t.Errorf("bob rejoined as %s, want the facilitator role he was handed", bob.Role())
	}
	evs, reset := read(t, bob, timeline.SessionJoin, "bob joined as facilitator")
	if !reset {
		t.Fatal("rejoin's first read was not a reset")
	}
	got := strings.Join(summaries(evs), "\n")
	for _, want := range []string{"session started", "alice joined as facilitator from 192.0.2.1:5555", "alice made bob facilitator", "before the drop (alice)", "alice left", "bob joined as facilitator"} {
		if !strings.Contains(got, want) {
			t.Errorf("rejoined screen lacks %q:\n%s", want, got)
		}
	}
	if p := s.People(); len(p) != 1 || p[0].Name != "bob" {
		t.Errorf("people = %v, want bob alone", p)
	}
}

func TestSecretsNeverReachAScreen(t *testing.T) {
	s := liveSession(t)
	carol := attach(t, s, "carol", Scribe)
	if err := carol.Note("the bastion is at ~/.ssh/id_ed25519, password=hunter2"); err != nil {
		t.Fatal(err)
	}
	s.Recorder().Record(timeline.NewEvent(timeline.FaultFailed, "inject", "failed").With("password", "hunter2").With("kind", "kill"))
	seen, _ := read(t, carol, timeline.FaultFailed, "failed")
	for _, e := range seen {
		if strings.Contains(e.Summary, "hunter2") || strings.Contains(e.Summary, "id_ed25519") || strings.Contains(string(e.DataJSON()), "hunter2") {
			t.Errorf("a screen got a secret: %s %q %v", e.Kind, e.Summary, e.Data)
		}
	}
}

// TestWatchIsNotAPerson: a program's attachment (gameday's /metrics)
// reads every event like a screen, but is not among the people and its
// coming and going is not recorded.
func TestWatchIsNotAPerson(t *testing.T) {
	s := liveSession(t)
	w, err := s.Watch("metrics")
	if err != nil {
		t.Fatal(err)
	}
	alice := attach(t, s, "alice", Facilitator)
	if err := alice.Note("hello"); err != nil {
		t.Fatal(err)
	}
	seen, _ := read(t, w, timeline.Note, "hello")
	for _, e := range seen {
		if strings.Contains(e.Summary, "metrics") {
			t.Errorf("the watcher's attaching was recorded: %s %q", e.Kind, e.Summary)
		}
	}
	if p := s.People(); len(p) != 1 || p[0].Name != "alice" {
		t.Errorf("people = %v, want alice alone", p)
	}
	if err := w.MayArm(); err == nil {
		t.Error("the watcher may arm")
	}
	w.Detach()
	alice.Note("after")
	evs, _ := read(t, alice, timeline.Note, "after")
	for _, e := range evs {
		if e.Kind == timeline.SessionLeave {
			t.Errorf("the watcher's leaving was recorded: %q", e.Summary)
		}
	}
}

// TestHistoryKeepsTheStart: a screen rebuilt after more events than the
// history holds still gets session.start, which carries the membership
// its figures are attributed by.
func TestHistoryKeepsTheStart(t *testing.T) {
	s := liveSession(t)
	for i := range EventHistory + 10 {
		s.Recorder().Record(timeline.NewEvent(timeline.Note, "test", "note %d", i))
	}
	late := attach(t, s, "late", Observer)
	evs, _ := read(t, late, timeline.Note, "note "+strconv.Itoa(EventHistory+9))
	if len(evs) == 0 || evs[0].Kind != timeline.SessionStart {
		t.Fatalf("the late screen's first event is %v, want session.start", summaries(evs[:min(1, len(evs))]))
	}
}
