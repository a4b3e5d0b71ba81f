package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// journal reads the session's journal as it is now.
func journal(t *testing.T, s *Session) []timeline.Event {
	t.Helper()
	if err := s.Recorder().Flush(); err != nil {
		t.Fatal(err)
	}
	evs, _, err := timeline.LoadJournal(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestFaultEventsAndNotesNameTheirPerson: in the journal, every fault
// event says who armed it, then who reverted it (Event.By); a shared
// note carries its author in By, not in its text.
func TestFaultEventsAndNotesNameTheirPerson(t *testing.T) {
	s := liveSession(t)
	alice := attach(t, s, "alice", Facilitator)
	bob := attach(t, s, "bob", Observer)
	carol := attach(t, s, "carol", Scribe)
	if err := alice.HandOver("bob"); err != nil {
		t.Fatal(err)
	}
	_, pidfile := sleeper(t)
	armed, err := alice.Arm(context.Background(), inject.Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Revert(context.Background(), armed.ID); err != nil {
		t.Fatal(err)
	}
	if err := carol.Note("failover looks clean"); err != nil {
		t.Fatal(err)
	}
	by := map[timeline.Kind]string{}
	var note *timeline.Event
	for _, e := range journal(t, s) {
		if f := e.Fault(); f != nil && f.FaultID == armed.ID {
			by[e.Kind] = e.By
		}
		if e.Kind == timeline.Note {
			note = &e
		}
	}
	for kind, want := range map[timeline.Kind]string{timeline.FaultArming: "alice", timeline.FaultArmed: "alice", timeline.FaultReverted: "bob"} {
		if by[kind] != want {
			t.Errorf("%s by %q, want %q (all: %v)", kind, by[kind], want, by)
		}
	}
	if note == nil || note.Summary != "failover looks clean" || note.By != "carol" {
		t.Fatalf("note %+v, want the text alone, by carol", note)
	}
}

// TestStepDown: a facilitator steps down to scribe, recorded on the
// timeline and kept across a reconnection; the last one who may arm may
// not while a fault is armed.
func TestStepDown(t *testing.T) {
	s := liveSession(t)
	alice := attach(t, s, "alice", Facilitator)
	bob := attach(t, s, "bob", Observer)
	if err := bob.StepDown(); err == nil {
		t.Fatal("an observer stepped down")
	}
	_, pidfile := sleeper(t)
	armed, err := alice.Arm(context.Background(), inject.Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.List(true); err != nil { // the session has listed the armed fault
		t.Fatal(err)
	}
	err = alice.StepDown()
	if err == nil || !strings.Contains(err.Error(), "only facilitator and 1 fault(s) are armed") {
		t.Fatalf("the last facilitator stepped down with a fault armed: %v", err)
	}
	if err := alice.HandOver("bob"); err != nil {
		t.Fatal(err)
	}
	if err := alice.StepDown(); err != nil {
		t.Fatal(err)
	}
	if alice.Role() != string(Scribe) || alice.MayArm() == nil || alice.MayNote() != nil {
		t.Fatalf("alice is %s after stepping down (may arm: %v)", alice.Role(), alice.MayArm())
	}
	if _, err := alice.Revert(context.Background(), armed.ID); err == nil {
		t.Fatal("alice reverted after stepping down")
	}
	read(t, bob, timeline.SessionRole, "alice stepped down: now scribe")
	alice.Detach()
	again := attach(t, s, "alice", Facilitator) // the keys file still says facilitator
	if again.Role() != string(Scribe) {
		t.Fatalf("alice rejoined as %s, want scribe", again.Role())
	}
	if _, err := bob.Revert(context.Background(), armed.ID); err != nil {
		t.Fatal(err)
	}
	var stepped *timeline.Event
	for _, e := range journal(t, s) {
		if e.Kind == timeline.SessionRole && e.By == "alice" {
			stepped = &e
		}
	}
	if p := timeline.DataAs[timeline.PersonData](*stepped); stepped == nil || p == nil || p.Person != "alice" || p.Role != "scribe" {
		t.Fatalf("step-down event %+v", stepped)
	}
}

// question is one runbook question put to a screen.
type question struct {
	p     inject.Preview
	reply chan bool
	ctx   context.Context
}

// screenAsk is a screen's ask: each question comes out on the channel and
// waits for a reply, or for the question to be withdrawn.
func screenAsk(qs chan<- question) func(context.Context, inject.Preview) (bool, error) {
	return func(ctx context.Context, p inject.Preview) (bool, error) {
		q := question{p: p, reply: make(chan bool, 1), ctx: ctx}
		qs <- q
		select {
		case yes := <-q.reply:
			return yes, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// screen runs a screen's runbook call (RunRunbook or FollowRunbook) with
// its questions on qs; the run's result comes on the channel returned.
func screen(t *testing.T, call func(func(context.Context, inject.Preview) (bool, error)) (runbooks.Result, error), qs chan<- question) <-chan runbooks.Result {
	done := make(chan runbooks.Result, 1)
	go func() {
		res, err := call(screenAsk(qs))
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	return done
}

func next(t *testing.T, qs <-chan question, who string) question {
	t.Helper()
	select {
	case q := <-qs:
		return q
	case <-time.After(30 * time.Second):
		t.Fatalf("%s was asked nothing within 30 s", who)
		return question{}
	}
}

// TestRejoiningFacilitatorIsAskedThePendingQuestion: alice starts a
// runbook; its inject asks her screen; her laptop disconnects before she
// answers. The question is withdrawn from the screen that left, the
// runbook waits — nothing armed — and when she rejoins her new screen
// is asked the same question; her yes arms the fault and the run ends.
func TestRejoiningFacilitatorIsAskedThePendingQuestion(t *testing.T) {
	_, pidfile := sleeper(t)
	rb, err := runbooks.Parse("asks.yaml", []byte(fmt.Sprintf(`name: asks
hypothesis: ["command.run errors == 0"]
steps:
  - inject: {name: p, kind: pause, hosts: [local], params: {pidfile: %q}, ttl: 1m}
  - revert: p
`, pidfile)))
	if err != nil {
		t.Fatal(err)
	}
	inv := &targets.Inventory{Name: "local", Hosts: []targets.Host{{Name: "local", Address: "127.0.0.1"}},
		Services: targets.Services{Command: []targets.Command{{Name: "ok", Command: []string{"true"}}}}}
	s, err := Open(Config{Source: "serve", Targets: inv, Runbook: rb, StateDir: t.TempDir(), Shared: true,
		FaultOptions: []inject.Option{inject.WithRunner(inject.LocalRunner{})}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.StopRunbook()
		s.RevertArmed(context.Background())
		s.Close("test over")
	})
	alice := attach(t, s, "alice", Facilitator)
	bob := attach(t, s, "bob", Observer)
	if _, err := bob.FollowRunbook(screenAsk(make(chan question))); err == nil {
		t.Fatal("an observer follows the runbook's questions")
	}
	if _, err := alice.FollowRunbook(screenAsk(make(chan question))); !errors.Is(err, ErrNoRunbookRunning) {
		t.Fatalf("FollowRunbook with no run: %v", err)
	}
	first := make(chan question)
	started := screen(t, alice.RunRunbook, first)
	q := next(t, first, "alice's first screen")
	alice.Detach() // her laptop's connection drops
	select {
	case <-q.ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the question stayed on the screen that left")
	}
	if !s.RunbookRunning() {
		t.Fatal("the runbook stopped when its facilitator's screen left")
	}
	if armed, _ := s.ListedArmed(); len(armed) != 0 {
		t.Fatalf("armed without an answer: %v", armed)
	}

	again := attach(t, s, "alice", Facilitator)
	second := make(chan question)
	followed := screen(t, again.FollowRunbook, second)
	q2 := next(t, second, "alice's new screen")
	if q2.p.Request.Kind != "pause" || strings.Join(q2.p.Request.Hosts, ",") != "local" {
		t.Fatalf("asked %s on %v, want the pending pause on local", q2.p.Request.Kind, q2.p.Request.Hosts)
	}
	q2.reply <- true
	var res runbooks.Result
	select {
	case res = <-followed:
	case <-time.After(60 * time.Second):
		t.Fatal("the runbook did not end within 60 s of the answer")
	}
	if got := <-started; got.Verdict != res.Verdict {
		t.Errorf("the starting screen got verdict %q, the following one %q", got.Verdict, res.Verdict)
	}
	armedBy := ""
	for _, e := range journal(t, s) {
		if e.Kind == timeline.FaultArmed {
			armedBy = e.By
		}
	}
	if armedBy != "alice" {
		t.Errorf("the runbook's fault was armed by %q, want alice", armedBy)
	}
	t.Logf("verdict %s (%s)", res.Verdict, res.Reason)
}
