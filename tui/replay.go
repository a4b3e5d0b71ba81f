package tui

import (
	"slices"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/panes/scrub"
)

// Speeds are the replay's play speeds, in the order + and - step through.
var Speeds = []int{1, 10, 60, 600}

// playEvery is how often a playing replay moves its cursor: often enough
// to look continuous, seldom enough to cost nothing at 600×.
const playEvery = 100 * time.Millisecond

// Messages of the replay mode.
type (
	marksMsg struct{ marks []timeline.Row }
	playMsg  struct{ gen int }
	movedMsg struct{ err error }
)

// replay is the screen of a recorded session as of a time cursor. Its
// clock is the cursor: every pane reads the time of the latest frame, so
// ages, countdowns and the sparklines' span are as they were then.
type replay struct {
	cursor     Cursor
	scrub      *scrub.Model
	start, end time.Time
	at         time.Time // the time of the latest frame
	playing    bool
	speed      int // index in Speeds
	gen        int // bumped at each play/pause, so a stale tick stops
	autoplay   bool
}

// newReplay returns the replay mode on c, to start playing at speed when
// it is one of Speeds.
func newReplay(c Cursor, speed int) *replay {
	r := &replay{cursor: c}
	r.start, r.end = c.Span()
	r.at = r.start
	if i := slices.Index(Speeds, speed); i >= 0 {
		r.speed, r.autoplay = i, true
	}
	return r
}

// now is the replay's clock: the cursor, as of the latest frame.
func (r *replay) now() time.Time { return r.at }

func (r *replay) kind() common.Mode { return common.Replay }

func (r *replay) layout(m *Model) layout {
	if r.scrub == nil {
		r.scrub = scrub.New(m.c, r.start, r.end)
	}
	return layout{middle: []pane{m.armed}, midRows: 6, first: m.timeline, band: r.scrub, bandRows: scrub.Height}
}

func (r *replay) begin(m *Model) []tea.Cmd {
	r.scrub.SetPlay(false, Speeds[r.speed])
	if r.autoplay {
		return []tea.Cmd{r.marksCmd(), r.play()}
	}
	return []tea.Cmd{r.marksCmd()}
}

func (r *replay) marksCmd() tea.Cmd {
	c := r.cursor
	return func() tea.Msg { return marksMsg{marks: c.Marks()} }
}

func (r *replay) onFrame(m *Model, msg eventsMsg) tea.Cmd {
	if !msg.at.IsZero() {
		r.at = msg.at
	}
	if r.playing && !r.at.Before(r.end) {
		r.pause()
	}
	for _, e := range msg.events {
		if e.Kind == timeline.Note {
			return r.marksCmd() // a review note: one more mark
		}
	}
	return nil
}

func (r *replay) onMsg(m *Model, msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case marksMsg:
		r.scrub.SetMarks(msg.marks)
	case playMsg:
		if !r.playing || msg.gen != r.gen {
			return nil, true
		}
		d := time.Duration(Speeds[r.speed]) * playEvery
		return tea.Batch(r.move(func(c Cursor) error { return c.Step(d) }), r.tick()), true
	case movedMsg:
		if msg.err != nil {
			m.status.Message = "error: " + msg.err.Error()
		}
	default:
		return nil, false
	}
	return nil, true
}

// move runs a cursor move in the background; its frame comes through the
// feed.
func (r *replay) move(f func(Cursor) error) tea.Cmd {
	c := r.cursor
	return func() tea.Msg { return movedMsg{err: f(c)} }
}

func (r *replay) tick() tea.Cmd {
	gen := r.gen
	return tea.Tick(playEvery, func(time.Time) tea.Msg { return playMsg{gen: gen} })
}

func (r *replay) pause() {
	r.playing = false
	r.gen++
	r.scrub.SetPlay(false, Speeds[r.speed])
}

// play starts playing from the cursor (from the start when it is at the
// end).
func (r *replay) play() tea.Cmd {
	r.playing = true
	r.gen++
	r.scrub.SetPlay(true, Speeds[r.speed])
	var cmds []tea.Cmd
	if !r.at.Before(r.end) {
		start := r.start
		cmds = append(cmds, r.move(func(c Cursor) error { return c.Seek(start) }))
	}
	return tea.Batch(append(cmds, r.tick())...)
}

func (r *replay) onKey(m *Model, msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.c.Keys
	step := func(d time.Duration) tea.Cmd { return r.move(func(c Cursor) error { return c.Step(d) }) }
	seek := func(t time.Time) tea.Cmd { return r.move(func(c Cursor) error { return c.Seek(t) }) }
	jump := func(n int) tea.Cmd { return r.move(func(c Cursor) error { return c.Jump(n) }) }
	switch {
	case key.Matches(msg, k.StepBack):
		return step(-time.Second), true
	case key.Matches(msg, k.StepOn):
		return step(time.Second), true
	case key.Matches(msg, k.LeapBack):
		return step(-10 * time.Second), true
	case key.Matches(msg, k.LeapOn):
		return step(10 * time.Second), true
	case key.Matches(msg, k.PrevEvent):
		return jump(-1), true
	case key.Matches(msg, k.NextEvent):
		return jump(1), true
	case key.Matches(msg, k.Start):
		return seek(r.start), true
	case key.Matches(msg, k.End):
		return seek(r.end), true
	case key.Matches(msg, k.Play):
		if r.playing {
			r.pause()
			return nil, true
		}
		return r.play(), true
	case key.Matches(msg, k.Faster):
		r.speed = min(len(Speeds)-1, r.speed+1)
		r.scrub.SetPlay(r.playing, Speeds[r.speed])
		return nil, true
	case key.Matches(msg, k.Slower):
		r.speed = max(0, r.speed-1)
		r.scrub.SetPlay(r.playing, Speeds[r.speed])
		return nil, true
	}
	return nil, false
}

// footer shows the cursor keys, in pairs to fit 100 columns, then the
// global keys; the panes' scrolling keys are in the help.
func (r *replay) footer(m *Model) []key.Binding {
	k := m.c.Keys
	pair := func(help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(help), key.WithHelp(help, desc))
	}
	return []key.Binding{pair("←/→", "1s"), pair("[/]", "event"), k.Play, pair("+/-", "speed"), pair("g/G", "start/end"),
		k.NextPane, k.Note, k.Export, k.Help, k.Quit}
}

func (r *replay) moving(*Model) bool { return false } // the clock moves only with frames
