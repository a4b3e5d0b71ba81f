package tui

import (
	"context"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// Faults is what the TUI asks of inject. *inject.Manager implements it;
// tests drive the TUI with a scripted fake.
type Faults interface {
	Preview(ctx context.Context, req inject.Request) (inject.Preview, error)
	// ArmPlan arms exactly the plan the operator confirmed, or nothing
	// (*inject.PlanChangedError carries the plan as it stands now).
	ArmPlan(ctx context.Context, p inject.Preview) (inject.Armed, error)
	Revert(ctx context.Context, id string) (inject.Armed, error)
	RevertAll(ctx context.Context) ([]inject.Armed, error)
	List(activeOnly bool) ([]inject.Armed, error)
	Orphans() ([]inject.Armed, error)
}

// Notes is where the screen's notes go. A session attachment implements
// it, attributing each note to the person at the screen.
type Notes interface {
	Note(text string) error
}

// Feed is where the screen's events come from: a session attachment live,
// or a journal read at a cursor in replay.
type Feed interface {
	// Next blocks until there are events for the screen and returns them
	// in order. reset means the screen must forget what it shows and
	// rebuild from events alone (its first read; a read after it fell
	// behind). ok is false once the feed has ended.
	Next() (events []timeline.Event, reset bool, ok bool)
}

// FrameFeed is a Feed that can also say what a screen cannot work out
// from the events alone (timeline.Frame): the analysis up to a reset and,
// in a replay, the time each frame brings the screen to. The screen reads
// it instead of Next when the feed has it.
type FrameFeed interface {
	Feed
	NextFrame() (timeline.Frame, bool)
}

// Cursor moves the time a replay shows. Every move comes back through the
// feed as a frame: the events that bring the screen to the new time, or a
// reset at it.
type Cursor interface {
	// Span is the recorded session's first and last moment.
	Span() (start, end time.Time)
	// Marks are its significant events, by time, for the scrub bar.
	Marks() []timeline.Row
	// Seek moves the cursor to t, Step by d, Jump to the n-th significant
	// event after it (before it when n < 0).
	Seek(t time.Time) error
	Step(d time.Duration) error
	Jump(n int) error
}

// Seat is the person at the screen of a session: who they are and what
// their role lets them do. Without a Seat the screen is the local
// operator's, limited only by ReadOnly.
type Seat interface {
	// Who is the person's name; Role their role now ("facilitator", …).
	Who() string
	Role() string
	// MayArm and MayNote say, in one sentence, why the person may not
	// arm, revert and run runbooks, or write notes (nil: they may).
	MayArm() error
	MayNote() error
	// HandOver makes the attached person named a facilitator too.
	HandOver(to string) error
	// StepDown gives up the person's facilitator role.
	StepDown() error
	// ArmedBy names who armed a fault in this session ("" if unknown),
	// so that facilitators see whose faults they arm beside.
	ArmedBy(id string) string
}

var _ Faults = (*inject.Manager)(nil)
