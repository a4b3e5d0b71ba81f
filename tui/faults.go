package tui

import (
	"context"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// Faults is what the TUI asks of inject. *inject.Manager implements it;
// tests drive the TUI with a scripted fake.
type Faults interface {
	Preview(ctx context.Context, req inject.Request) (inject.Preview, error)
	Arm(ctx context.Context, req inject.Request) (inject.Armed, error)
	Revert(ctx context.Context, id string) (inject.Armed, error)
	RevertAll(ctx context.Context) ([]inject.Armed, error)
	List(activeOnly bool) ([]inject.Armed, error)
	Orphans() ([]inject.Armed, error)
}

// Recorder is where notes go. *timeline.Recorder implements it.
type Recorder interface {
	Record(timeline.Event) timeline.Event
}

var _ Faults = (*inject.Manager)(nil)
var _ Recorder = (*timeline.Recorder)(nil)
