package session

import (
	"context"
	"errors"

	"github.com/gameday-dev/gameday/inject"
)

// ErrNoRunbookRunning is FollowRunbook's answer when no runbook runs.
var ErrNoRunbookRunning = errors.New("no runbook is running")

// asker is a screen that answers the running runbook's questions: the one
// that started it, and every facilitator's screen that follows it.
type asker struct {
	a   *Attachment
	ask func(context.Context, inject.Preview) (bool, error)
	// cancel, while the screen has a question, withdraws it (the screen
	// left, or its person may no longer arm).
	cancel context.CancelFunc
}

// asks routes a running runbook's questions to a screen, so that the
// question outlives the screen it was first put to: when that screen
// leaves (a facilitator whose laptop disconnects), the same question goes
// to the next facilitator's screen that follows the runbook — theirs again
// when they rejoin. The session's mu guards it.
type asks struct {
	askers  []*asker
	changed chan struct{} // closed and replaced when askers change
}

// follow adds a's screen to those that answer the runbook's questions.
// Called with s.mu held.
func (s *Session) follow(a *Attachment, ask func(context.Context, inject.Preview) (bool, error)) *asker {
	k := &asker{a: a, ask: ask}
	s.asks.askers = append(s.asks.askers, k)
	s.asksChanged()
	return k
}

// unfollow removes k, withdrawing its question if it has one.
func (s *Session) unfollow(k *asker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.asks.askers {
		if x == k {
			s.asks.askers = append(s.asks.askers[:i], s.asks.askers[i+1:]...)
			break
		}
	}
	if k.cancel != nil {
		k.cancel()
	}
	s.asksChanged()
}

// withdraw takes the question from a's screens (it detached, or its
// person stepped down). Called with s.mu held.
func (s *Session) withdraw(a *Attachment) {
	for _, k := range s.asks.askers {
		if k.a == a && k.cancel != nil {
			k.cancel()
		}
	}
	s.asksChanged()
}

func (s *Session) asksChanged() {
	if s.asks.changed != nil {
		close(s.asks.changed)
	}
	s.asks.changed = make(chan struct{})
}

// confirm puts the runbook's question to the first following screen
// whose person may arm, waiting for one when there is none; a screen that
// leaves before answering passes the question on.
func (s *Session) confirm(ctx context.Context, p inject.Preview) (bool, error) {
	for {
		s.mu.Lock()
		var k *asker
		for _, x := range s.asks.askers {
			// Not MayArm: it names who may, which takes s.mu.
			if x.a.attached() && x.a.role().MayArm() {
				k = x
				break
			}
		}
		if k == nil {
			changed := s.asks.changed
			s.mu.Unlock()
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
		qctx, cancel := context.WithCancel(ctx)
		k.cancel = cancel
		s.mu.Unlock()
		yes, err := k.ask(qctx, p)
		s.mu.Lock()
		k.cancel = nil
		s.mu.Unlock()
		withdrawn := qctx.Err() != nil && ctx.Err() == nil
		cancel()
		if withdrawn {
			continue // the screen left or stepped down: the question stays
		}
		return yes, err
	}
}

// byPerson is the fault manager as a runbook run sees it: the faults it
// arms and reverts are attributed to the person who started the run.
type byPerson struct {
	*inject.Manager
	by string
}

// ArmPlan arms the plan the run previewed (and a screen confirmed) on
// behalf of the run's person.
func (f byPerson) ArmPlan(ctx context.Context, p inject.Preview) (inject.Armed, error) {
	if p.Request.By == "" {
		p.Request.By = f.by
	}
	return f.Manager.ArmPlan(ctx, p)
}

// Revert reverts on behalf of the run's person.
func (f byPerson) Revert(ctx context.Context, id string) (inject.Armed, error) {
	return f.Manager.RevertBy(ctx, id, f.by)
}
