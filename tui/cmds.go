package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/dialog"
)

// Messages carrying the results of the commands below back to Update.
type (
	eventsMsg struct {
		events []timeline.Event
		reset  bool // forget what is shown: events are the whole state
		closed bool
		// analysis, on a reset, already holds events (timeline.Frame);
		// at is the time a replay's frame brings the screen to.
		analysis *timeline.Analyzer
		at       time.Time
	}
	listMsg struct {
		faults []inject.Armed
		err    error
	}
	previewMsg struct {
		req     inject.Request
		preview inject.Preview
		err     error
	}
	armedMsg struct {
		op    int
		shown inject.Preview // the plan confirmed
		armed inject.Armed
		err   error
	}
	revertedMsg struct {
		op        int
		faults    []inject.Armed
		err       error
		quitAfter bool
	}
	orphansMsg struct {
		faults []inject.Armed
		err    error
	}
	exportedMsg struct {
		path string
		err  error
	}
	noteMsg        struct{ err error }
	handOverMsg    struct{ to string }
	stepDownMsg    struct{}
	steppedDownMsg struct{ err error }
	handedMsg      struct {
		to  string
		err error
	}
	clockMsg  struct{}
	pollMsg   struct{}
	secondMsg struct{}
)

// waitFeed reads the next events from the feed. Update re-arms it after
// each batch, so exactly one read is ever outstanding.
func waitFeed(f Feed) tea.Cmd {
	if ff, ok := f.(FrameFeed); ok {
		return func() tea.Msg {
			fr, ok := ff.NextFrame()
			return eventsMsg{events: fr.Events, reset: fr.Reset, closed: !ok, analysis: fr.Analysis, at: fr.At}
		}
	}
	return func() tea.Msg {
		evs, reset, ok := f.Next()
		return eventsMsg{events: evs, reset: reset, closed: !ok}
	}
}

// call runs f with a deadline and gives up waiting when it passes, even if
// f ignores its context: the screen must never wait on a hung host.
func call[T any](timeout time.Duration, f func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("no answer within %s", timeout)
	}
}

func (m *Model) listCmd() tea.Cmd {
	f, t := m.opts.Faults, m.opts.ListTimeout
	if f == nil {
		return nil
	}
	return func() tea.Msg {
		l, err := call(t, func(context.Context) ([]inject.Armed, error) { return f.List(true) })
		return listMsg{faults: l, err: err}
	}
}

func (m *Model) orphansCmd() tea.Cmd {
	f, t := m.opts.Faults, m.opts.ListTimeout
	return func() tea.Msg {
		l, err := call(t, func(context.Context) ([]inject.Armed, error) { return f.Orphans() })
		return orphansMsg{faults: l, err: err}
	}
}

// rolesCmd asks for the live roles; the open picker takes them.
func (m *Model) rolesCmd() tea.Cmd {
	resolve, t, inv, now := m.opts.Roles, m.opts.PreviewTimeout, m.opts.Inventory, m.c.Now
	return func() tea.Msg {
		live, err := call(t, func(ctx context.Context) (roles.Live, error) { return resolve(ctx), nil })
		if err != nil || live.Inv == nil {
			// The resolver bounds itself; this is a last resort.
			if err == nil {
				err = errors.New("the resolver returned no inventory")
			}
			live = roles.Live{Inv: inv, At: now(), Unknown: map[string]error{}}
			for _, svc := range inv.Services.Redis {
				live.Unknown[svc.Name] = err
			}
		}
		return dialog.LiveRolesMsg{Live: live}
	}
}

func (m *Model) previewCmd(req inject.Request) tea.Cmd {
	f, t := m.opts.Faults, m.opts.PreviewTimeout
	return func() tea.Msg {
		p, err := call(t, func(ctx context.Context) (inject.Preview, error) { return f.Preview(ctx, req) })
		return previewMsg{req: req, preview: p, err: err}
	}
}

func (m *Model) armCmd(op int, p inject.Preview) tea.Cmd {
	f, t := m.opts.Faults, m.opts.ActionTimeout
	return func() tea.Msg {
		a, err := call(t, func(ctx context.Context) (inject.Armed, error) { return f.ArmPlan(ctx, p) })
		return armedMsg{op: op, shown: p, armed: a, err: err}
	}
}

func (m *Model) revertCmd(op int, ids []string, quitAfter bool) tea.Cmd {
	f, t := m.opts.Faults, m.opts.ActionTimeout
	return func() tea.Msg {
		var out []inject.Armed
		var errs []error
		for _, id := range ids {
			a, err := call(t, func(ctx context.Context) (inject.Armed, error) { return f.Revert(ctx, id) })
			if err != nil {
				errs = append(errs, fmt.Errorf("revert %s: %w", id, err))
				continue
			}
			out = append(out, a)
		}
		return revertedMsg{op: op, faults: out, err: inject.JoinErrors(errs), quitAfter: quitAfter}
	}
}

func (m *Model) revertAllCmd(op int, quitAfter bool) tea.Cmd {
	f, t := m.opts.Faults, m.opts.ActionTimeout
	return func() tea.Msg {
		l, err := call(t, func(ctx context.Context) ([]inject.Armed, error) { return f.RevertAll(ctx) })
		return revertedMsg{op: op, faults: l, err: err, quitAfter: quitAfter}
	}
}

func (m *Model) exportCmd() tea.Cmd {
	export, t := m.opts.Export, m.opts.ActionTimeout
	return func() tea.Msg {
		p, err := call(t, func(context.Context) (string, error) { return export() })
		return exportedMsg{path: p, err: err}
	}
}

func (m *Model) noteCmd(text string) tea.Cmd {
	notes := m.opts.Notes
	return func() tea.Msg { return noteMsg{err: notes.Note(text)} }
}

func (m *Model) handOverCmd(to string) tea.Cmd {
	seat, t := m.opts.Seat, m.opts.ActionTimeout
	return func() tea.Msg {
		_, err := call(t, func(context.Context) (struct{}, error) { return struct{}{}, seat.HandOver(to) })
		return handedMsg{to: to, err: err}
	}
}

func (m *Model) stepDownCmd() tea.Cmd {
	seat, t := m.opts.Seat, m.opts.ActionTimeout
	return func() tea.Msg {
		_, err := call(t, func(context.Context) (struct{}, error) { return struct{}{}, seat.StepDown() })
		return steppedDownMsg{err: err}
	}
}

// clockCmd wakes the status bar at the next minute boundary.
func (m *Model) clockCmd() tea.Cmd {
	now := m.c.Now()
	next := now.Truncate(time.Minute).Add(time.Minute)
	return tea.Tick(next.Sub(now), func(time.Time) tea.Msg { return clockMsg{} })
}

// pollCmd wakes a read-only screen to read the ledger again: the faults
// it shows are armed by another gameday process.
func (m *Model) pollCmd() tea.Cmd {
	return tea.Tick(m.opts.LedgerPoll, func(time.Time) tea.Msg { return pollMsg{} })
}

// secondCmd drives TTL countdowns; it runs only while something is armed
// or in flight.
func secondCmd() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return secondMsg{} })
}
