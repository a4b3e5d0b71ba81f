package session

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/timeline"
)

// ErrDetached is returned by a detached Attachment.
var ErrDetached = errors.New("this screen is no longer attached to the session")

// Attachment is one screen attached to a session: the events its person
// may see, read with Next, and the actions their role allows. It
// implements what the TUI asks of a session (events, faults, notes).
//
// Events reach an Attachment through a bounded queue: a screen that stops
// reading never slows the session, the probes or the other screens. When
// its queue overflows, the queue is dropped and the screen's next read is
// a reset: the session's kept history, from which the screen rebuilds
// itself, exactly as a screen attaching late does.
type Attachment struct {
	s    *Session
	wake chan struct{} // one token: events are queued, or the attachment ended

	mu       sync.Mutex
	person   Person
	queue    []timeline.Event
	reset    bool // the next read is a reset from the history
	moved    bool // a replay's cursor moved: the next read says where to
	detached bool
	// shown is where the screen is in a replay: the cursor's position
	// and time as of its last read.
	shown   int
	shownAt time.Time
	resets  uint64
	joined  time.Time
	// watcher marks an attachment of a program, not a person (Watch):
	// it is not among the people and its coming and going is not
	// recorded.
	watcher bool
}

// Attach attaches a screen for p. In a shared session (gameday serve) the
// join is recorded on the timeline; a person a facilitator handed the
// role to earlier gets it back when they rejoin.
func (s *Session) Attach(p Person) (*Attachment, error) {
	if p.Name == "" {
		return nil, errors.New("attach: a person needs a name")
	}
	if _, err := ParseRole(string(p.Role)); err != nil {
		return nil, err
	}
	return s.attach(p, false)
}

// Watch attaches a program rather than a person (gameday's /metrics):
// it reads every event a facilitator's screen would, through the same
// bounded queue, but is not among the People, may do nothing, and its
// attaching and detaching are not recorded.
func (s *Session) Watch(name string) (*Attachment, error) {
	return s.attach(Person{Name: name, Role: Observer}, true)
}

func (s *Session) attach(p Person, watcher bool) (*Attachment, error) {
	a := &Attachment{s: s, wake: make(chan struct{}, 1), reset: true, joined: time.Now(), watcher: watcher}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("the session has ended")
	}
	if r, ok := s.granted[p.Name]; ok && !watcher {
		p.Role = r
	}
	a.person = p
	s.atts[a] = struct{}{}
	s.mu.Unlock()
	if s.cfg.Shared && !watcher {
		from := ""
		if p.From != "" {
			from = " from " + p.From
		}
		s.rec.Record(timeline.NewEvent(timeline.SessionJoin, s.source(), "%s joined as %s%s", p.Name, p.Role, from).
			WithData(&timeline.PersonData{Person: p.Name, Role: string(p.Role), From: p.From}))
	}
	a.signal()
	return a, nil
}

// Person is who is at this screen, with their current role.
func (a *Attachment) Person() Person {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.person
}

func (a *Attachment) role() Role { return a.Person().Role }

// Who is the person's name.
func (a *Attachment) Who() string { return a.Person().Name }

// Role is the person's role now ("facilitator", …).
func (a *Attachment) Role() string { return string(a.role()) }

// Resets counts how often this screen fell behind and was rebuilt.
func (a *Attachment) Resets() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.resets
}

// Next blocks until there are events for this screen and returns them in
// order. reset means the screen must forget what it shows and rebuild it
// from events: the first read, and the read after the screen fell behind,
// are resets. ok is false once the attachment or the session has ended.
func (a *Attachment) Next() (events []timeline.Event, reset bool, ok bool) {
	f, ok := a.NextFrame()
	return f.Events, f.Reset, ok
}

// NextFrame is Next with what a screen cannot work out from the events
// alone: in a replay, the time the frame brings it to and, on a reset,
// the analysis of the session up to there.
func (a *Attachment) NextFrame() (timeline.Frame, bool) {
	for {
		// Lock order: the session, then the attachment, so that a reset
		// and the events queued after it never overlap or leave a gap.
		a.s.mu.Lock()
		a.mu.Lock()
		var f timeline.Frame
		switch {
		case a.detached:
			a.mu.Unlock()
			a.s.mu.Unlock()
			return f, false
		case a.reset:
			a.reset, a.queue, a.moved = false, nil, false
			if a.s.replay != nil {
				f = a.s.replayFrame(a.person)
			} else {
				f = timeline.Frame{Events: a.s.hist.snapshot(a.person), Reset: true}
			}
		case len(a.queue) > 0 || a.moved:
			f.Events, a.queue, a.moved = a.queue, nil, false
		default:
			a.mu.Unlock()
			a.s.mu.Unlock()
			<-a.wake
			continue
		}
		if r := a.s.replay; r != nil {
			f.At, a.shown, a.shownAt = r.at, r.p, r.at
		}
		a.mu.Unlock()
		a.s.mu.Unlock()
		return f, true
	}
}

// offer queues events for the screen, or marks it for a reset when its
// queue is full. Called by the session's fan-out with s.mu held.
func (a *Attachment) offer(evs []timeline.Event) { a.enqueue(evs, false) }

// advance queues the events a replay's cursor passed moving forward (none
// when it moved between two events): the screen's next read brings it to
// the cursor. Called with s.mu held.
func (a *Attachment) advance(evs []timeline.Event) { a.enqueue(evs, true) }

func (a *Attachment) enqueue(evs []timeline.Event, moved bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.detached || a.reset {
		return
	}
	a.moved = a.moved || moved
	n := 0
	for _, e := range evs {
		if visible(a.person, e) {
			n++
		}
	}
	if n == 0 && !moved {
		return
	}
	if len(a.queue)+n > ScreenQueue {
		a.queue, a.reset = nil, true
		a.resets++
		a.signalLocked()
		return
	}
	for _, e := range evs {
		if visible(a.person, e) {
			a.queue = append(a.queue, e)
		}
	}
	a.signalLocked()
}

// resync makes the screen's next read a reset. Called with s.mu held.
func (a *Attachment) resync() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.reset {
		a.queue, a.reset = nil, true
		a.resets++
	}
	a.signalLocked()
}

func (a *Attachment) signal() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.signalLocked()
}

func (a *Attachment) signalLocked() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Detach ends the attachment: Next returns ok false, and in a shared
// session the leave is recorded. It is safe to call twice.
func (a *Attachment) Detach() {
	a.s.mu.Lock()
	delete(a.s.atts, a)
	closed := a.s.closed
	a.s.mu.Unlock()
	a.mu.Lock()
	was := a.detached
	a.detached = true
	p := a.person
	a.signalLocked()
	a.mu.Unlock()
	a.s.mu.Lock()
	a.s.withdraw(a) // a runbook question on this screen goes to another
	a.s.mu.Unlock()
	if was || closed || !a.s.cfg.Shared || a.watcher {
		return
	}
	a.s.rec.Record(timeline.NewEvent(timeline.SessionLeave, a.s.source(), "%s left (%s, attached %s)", p.Name, p.Role, time.Since(a.joined).Round(time.Second)).
		WithData(&timeline.PersonData{Person: p.Name, Role: string(p.Role)}))
}

// People lists who is attached now, facilitators first, then by name.
func (s *Session) People() []Person {
	s.mu.Lock()
	out := make([]Person, 0, len(s.atts))
	seen := map[string]bool{}
	for a := range s.atts {
		p := a.Person()
		if a.watcher {
			continue
		}
		if !seen[p.Name] { // one person on two screens counts once
			seen[p.Name] = true
			out = append(out, p)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Role.MayArm() != out[j].Role.MayArm() {
			return out[i].Role.MayArm()
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// MayArm says why this person may not arm, revert or run runbooks; nil
// when they may.
func (a *Attachment) MayArm() error {
	p := a.Person()
	switch {
	case a.s.cfg.ReadOnly:
		return errors.New("this session is read-only: nobody arms or reverts faults here")
	case a.s.mgr == nil:
		return errors.New("this session has no fault manager")
	case !p.Role.MayArm():
		return fmt.Errorf("%ss do not arm or revert faults: ask %s", p.Role, a.s.whoArms())
	}
	return nil
}

// MayNote says why this person may not write notes; nil when they may.
func (a *Attachment) MayNote() error {
	if p := a.Person(); !p.Role.MayNote() {
		return fmt.Errorf("%ss watch: ask %s to note it", p.Role, a.s.whoNotes())
	}
	return nil
}

// whoArms names who may arm, for refusals: "the facilitator (alice)".
func (s *Session) whoArms() string {
	var names []string
	for _, p := range s.People() {
		if p.Role.MayArm() {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return "a facilitator"
	}
	return "the facilitator (" + strings.Join(names, ", ") + ")"
}

func (s *Session) whoNotes() string {
	var names []string
	for _, p := range s.People() {
		if p.Role == Scribe {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return s.whoArms()
	}
	return "the scribe (" + strings.Join(names, ", ") + ")"
}

// Note records a note on the timeline, attributed to this person.
func (a *Attachment) Note(text string) error {
	if err := a.MayNote(); err != nil {
		return err
	}
	p := a.Person()
	note := timeline.NewEvent(timeline.Note, a.s.source(), "%s", text)
	note.By = p.Name // screens and the report name the author from it
	if a.s.replay != nil {
		// A review note is about the moment the screen shows.
		a.mu.Lock()
		note.Time = a.shownAt
		a.mu.Unlock()
	}
	a.s.rec.Record(note)
	return nil
}

// HandOver makes the attached person named to a facilitator (a trainer in
// a drill) too, recorded on the timeline. Only those who may arm may hand
// the role over. The grant outlives a reconnection.
func (a *Attachment) HandOver(to string) error {
	if err := a.MayArm(); err != nil {
		return err
	}
	by := a.Person()
	s := a.s
	s.mu.Lock()
	var targets []*Attachment
	for b := range s.atts {
		if !b.watcher && b.Person().Name == to {
			targets = append(targets, b)
		}
	}
	if len(targets) == 0 {
		s.mu.Unlock()
		return fmt.Errorf("%s is not attached to the session", to)
	}
	role := by.Role
	s.granted[to] = role
	for _, b := range targets {
		b.mu.Lock()
		b.person.Role = role
		b.mu.Unlock()
		// What the new role may see may differ (a trainee made trainer):
		// rebuild the screen.
		b.resync()
	}
	s.mu.Unlock()
	handed := timeline.NewEvent(timeline.SessionRole, s.source(), "%s made %s %s", by.Name, to, role).
		WithData(&timeline.PersonData{Person: to, Role: string(role)})
	handed.By = by.Name
	s.rec.Record(handed)
	return nil
}

// Preview shows the exact plan of req, changing nothing.
func (a *Attachment) Preview(ctx context.Context, req inject.Request) (inject.Preview, error) {
	if err := a.MayArm(); err != nil {
		return inject.Preview{}, err
	}
	return a.s.mgr.Preview(ctx, req)
}

// Arm arms req on behalf of this person.
func (a *Attachment) Arm(ctx context.Context, req inject.Request) (inject.Armed, error) {
	if err := a.MayArm(); err != nil {
		return inject.Armed{}, err
	}
	req.By = a.Person().Name
	armed, err := a.s.mgr.Arm(ctx, req)
	a.s.noteArmedBy(armed.ID, a.Person())
	return armed, err
}

// ArmPlan arms, on behalf of this person, exactly the plan they confirmed
// (inject.Manager.ArmPlan): the same fault id and steps, or nothing.
func (a *Attachment) ArmPlan(ctx context.Context, p inject.Preview) (inject.Armed, error) {
	if err := a.MayArm(); err != nil {
		return inject.Armed{}, err
	}
	p.Request.By = a.Person().Name
	armed, err := a.s.mgr.ArmPlan(ctx, p)
	a.s.noteArmedBy(armed.ID, a.Person())
	return armed, err
}

// Revert reverts one fault on behalf of this person.
func (a *Attachment) Revert(ctx context.Context, id string) (inject.Armed, error) {
	if err := a.MayArm(); err != nil {
		return inject.Armed{}, err
	}
	return a.s.mgr.RevertBy(ctx, id, a.Person().Name)
}

// RevertAll reverts every fault the ledger lists as armed.
func (a *Attachment) RevertAll(ctx context.Context) ([]inject.Armed, error) {
	if err := a.MayArm(); err != nil {
		return nil, err
	}
	return a.s.mgr.RevertAllBy(ctx, a.Person().Name)
}

// List returns the session's armed faults as of the latest fault event
// (trainees: none). It does not touch the ledger: the session reads it
// once for every screen.
func (a *Attachment) List(activeOnly bool) ([]inject.Armed, error) {
	if a.s.replay != nil && a.role().SeesFaults() {
		a.mu.Lock()
		p := a.shown
		a.mu.Unlock()
		return a.s.armedAt(p), nil // in a replay, as of what the screen shows
	}
	if !a.role().SeesFaults() || a.s.mgr == nil {
		return nil, nil
	}
	if !activeOnly {
		return a.s.mgr.List(false)
	}
	return a.s.armedNow()
}

// Orphans returns the faults a dead gameday left armed, for those who may
// revert them.
func (a *Attachment) Orphans() ([]inject.Armed, error) {
	if a.MayArm() != nil {
		return nil, nil
	}
	return a.s.mgr.Orphans()
}

// ArmedBy names who armed the fault in this session ("" if unknown), so
// that two facilitators see each other's faults before arming.
func (a *Attachment) ArmedBy(id string) string { return a.s.ArmedBy(id) }

// ArmedBy names who armed the fault in this session ("" if unknown).
func (s *Session) ArmedBy(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.armedBy[id]
}

func (s *Session) noteArmedBy(id string, p Person) {
	if id == "" {
		return
	}
	s.mu.Lock()
	s.armedBy[id] = p.Name
	s.mu.Unlock()
}

// RunRunbook runs the session's runbook on behalf of this person; ask is
// called before each inject with the exact plan.
func (a *Attachment) RunRunbook(ask func(context.Context, inject.Preview) (bool, error)) (runbooks.Result, error) {
	if err := a.MayArm(); err != nil {
		return runbooks.Result{}, err
	}
	s := a.s
	s.mu.Lock()
	k := s.follow(a, ask)
	s.mu.Unlock()
	defer s.unfollow(k)
	return s.RunRunbook(context.Background(), RunbookOptions{Ask: s.confirm, By: a.Person().Name})
}

// FollowRunbook joins the runbook run in progress, started from another
// screen or from this person's own before they reconnected: the question
// it is waiting on, if its screen has gone, and the later ones come to
// this screen's ask (the screen that started it keeps them while it is
// attached). It returns the run's result once it has ended, or
// ErrNoRunbookRunning.
func (a *Attachment) FollowRunbook(ask func(context.Context, inject.Preview) (bool, error)) (runbooks.Result, error) {
	if err := a.MayArm(); err != nil {
		return runbooks.Result{}, err
	}
	s := a.s
	s.mu.Lock()
	done := s.rbDone
	if done == nil {
		s.mu.Unlock()
		return runbooks.Result{}, ErrNoRunbookRunning
	}
	k := s.follow(a, ask)
	s.mu.Unlock()
	defer s.unfollow(k)
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rbResult, nil
}

// attached tells whether the screen is still attached.
func (a *Attachment) attached() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.detached
}

// StepDown gives up the role that arms: the person becomes a scribe (they
// keep writing notes), recorded on the timeline, and stays one when they
// reconnect; a runbook question on their screen goes to another
// facilitator. The last one who may arm may not step down while a fault
// is armed or a runbook runs: someone must be able to revert or answer.
func (a *Attachment) StepDown() error {
	p := a.Person()
	if !p.Role.MayArm() {
		return fmt.Errorf("%ss have no role to step down from", p.Role)
	}
	s := a.s
	s.mu.Lock()
	others := false
	for b := range s.atts {
		if q := b.Person(); !b.watcher && q.Name != p.Name && q.Role.MayArm() {
			others = true
		}
	}
	if !others {
		var why string
		switch {
		case len(s.armed) > 0:
			why = fmt.Sprintf("%d fault(s) are armed", len(s.armed))
		case s.rbDone != nil:
			why = "a runbook is running"
		}
		if why != "" {
			s.mu.Unlock()
			return fmt.Errorf("you are the only %s and %s: hand the role over first (H)", p.Role, why)
		}
	}
	to := Scribe
	s.granted[p.Name] = to
	for b := range s.atts {
		if !b.watcher && b.Person().Name == p.Name {
			b.mu.Lock()
			b.person.Role = to
			b.mu.Unlock()
			b.resync()
			s.withdraw(b)
		}
	}
	s.mu.Unlock()
	ev := timeline.NewEvent(timeline.SessionRole, s.source(), "%s stepped down: now %s", p.Name, to).
		WithData(&timeline.PersonData{Person: p.Name, Role: string(to)})
	ev.By = p.Name
	s.rec.Record(ev)
	return nil
}
