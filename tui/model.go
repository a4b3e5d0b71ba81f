// Package tui is gameday's war-room terminal UI: live probes beside the
// fault palette, armed faults with their countdowns, and the timeline. It
// holds no domain logic: numbers come from probe.window events, actions go
// through Faults (inject, or a session attachment that checks the
// person's role), history is the events of a Feed.
package tui

import (
	"context"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/dialog"
	"github.com/gameday-dev/gameday/tui/keys"
	"github.com/gameday-dev/gameday/tui/panes/armed"
	"github.com/gameday-dev/gameday/tui/panes/palette"
	"github.com/gameday-dev/gameday/tui/panes/probes"
	"github.com/gameday-dev/gameday/tui/panes/statusbar"
	tlpane "github.com/gameday-dev/gameday/tui/panes/timeline"
)

// Options wires the TUI to the rest of gameday.
type Options struct {
	// Inventory supplies the hosts of the picker and the name in the status
	// bar.
	Inventory *targets.Inventory
	// Roles gives the roles the cluster decides (Redis master and
	// replica, from the Sentinels) at the moment it is called; the picker
	// asks it each time it opens. Nil keeps the inventory's roles.
	Roles func(ctx context.Context) roles.Live
	// Faults arms and reverts; nil makes the screen read-only.
	Faults Faults
	// Kinds is the palette, in order (inject.Kinds()).
	Kinds []inject.KindInfo
	// Feed is where events come from: everything the screen shows about
	// probes and history comes from it.
	Feed Feed
	// Notes receives notes; nil disables them.
	Notes Notes
	// Seat, when set, is the person at this screen of a session: their
	// role decides the keys they have, and a key their role does not
	// allow says why instead of doing nothing.
	Seat Seat
	// Shared marks a screen among many on a session that outlives it
	// (gameday serve): quitting only detaches, faults stay with the
	// session, and the status bar says who watches.
	Shared bool
	// Renderer, when set, renders this screen's styles (one per SSH
	// client, so that each gets the colours its terminal has).
	Renderer *lipgloss.Renderer
	// Delivered, when set, is called with each batch of events as the
	// screen takes them in (for measuring fan-out latency).
	Delivered func(events []timeline.Event)
	// Export writes the markdown timeline now and returns its path; nil
	// disables the export key.
	Export func() (string, error)
	// JournalPath is shown in the status bar.
	JournalPath string
	// Probes are shown as pending rows until their first reading.
	Probes []probes.Known
	// ReadOnly hides every arming and reverting key (spectator screen).
	// With Faults set it still lists the armed faults again every
	// LedgerPoll, since another process arms them.
	ReadOnly bool
	// LedgerPoll is how often a read-only screen reads the ledger
	// (default 5 s).
	LedgerPoll time.Duration
	// Now is the clock (default time.Now); tests fix it.
	Now func() time.Time
	// Runbook, when set, can be started with its key; nil hides the key.
	Runbook *Runbook
	// PreviewTimeout, ActionTimeout and ListTimeout bound each call into
	// Faults (defaults 15 s, 2 min, 5 s). A call that overruns is reported
	// as an error and the screen moves on.
	PreviewTimeout, ActionTimeout, ListTimeout time.Duration
	// Cursor, when set, makes the screen a replay: a recorded session as
	// of a time cursor that the replay keys move, read-only, its clock
	// the cursor (Now is then ignored). Feed is the same session's.
	Cursor Cursor
	// Play, in a replay, starts playing at once at this speed (one of
	// Speeds); 0 opens paused.
	Play int
	// Notice is shown in the status bar at start (a journal's warning).
	Notice string
	// Drill, when set, makes the screen a training drill's, a trainer's
	// or a trainee's.
	Drill *Drill
}

// Runbook lets the operator start a runbook from the screen. The TUI knows
// its name and how to start it; the runbook's injects come back to the
// screen as questions, each showing the exact plan.
type Runbook struct {
	Name string
	// Run runs the runbook to its end, rollback included, and returns its
	// verdict. ask is called before each inject and blocks until the
	// operator answers (or ctx, the runner's, ends).
	Run func(ask func(ctx context.Context, p inject.Preview) (bool, error)) (verdict, reason string, err error)
	// Running and Follow, when set, let a screen opened while a run is
	// going (a facilitator who reconnects, another facilitator) join it:
	// Follow is Run for a run already started — the question it waits on
	// and the later ones come to this screen — and returns an empty
	// verdict when the run had ended before it could join.
	Running func() bool
	Follow  func(ask func(ctx context.Context, p inject.Preview) (bool, error)) (verdict, reason string, err error)
}

// Outcome is what happened to armed faults when the TUI quit.
type Outcome struct {
	// Reverted is set when the operator chose to revert everything first.
	Reverted bool
	// LeftArmed lists the faults left to their TTL guards.
	LeftArmed []inject.Armed
}

// pane is what the root needs of each focusable pane.
type pane interface {
	common.Component
	Focus(bool)
	SetCommon(common.Common)
}

// Model is the root model: it routes messages and lays the panes out.
type Model struct {
	opts     Options
	c        common.Common
	probes   *probes.Model
	palette  *palette.Model
	armed    *armed.Model
	timeline *tlpane.Model
	status   *statusbar.Model
	mode     mode
	panes    []pane // the focusable panes, in focus order
	focus    int
	dialog   dialog.Dialog
	// quitDialog is the quit question while it is open.
	quitDialog dialog.Dialog
	pending    map[int]string
	nextOp     int
	ticking    bool
	lastList   time.Time
	outcome    Outcome
	runbook    string          // "" not started, "running", or its verdict
	asks       chan runbookAsk // the runbook's questions, read by a Cmd
	asksDone   chan struct{}   // closed when the runbook has ended
	// heldAsk is a question that came before the screen knew its size
	// (a run the screen joined as it opened): shown at the first resize.
	heldAsk *runbookAskMsg
	updates atomic.Uint64 // read by the idle test while the program runs
}

// New returns the root model. Run it with tea.NewProgram(m, tea.WithAltScreen()).
func New(o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Faults == nil {
		o.ReadOnly = true
	}
	if o.PreviewTimeout == 0 {
		o.PreviewTimeout = 15 * time.Second
	}
	if o.ActionTimeout == 0 {
		o.ActionTimeout = 2 * time.Minute
	}
	if o.LedgerPoll == 0 {
		o.LedgerPoll = 5 * time.Second
	}
	if o.ListTimeout == 0 {
		o.ListTimeout = 5 * time.Second
	}
	var md mode = live{}
	switch {
	case o.Cursor != nil:
		r := newReplay(o.Cursor, o.Play)
		md, o.ReadOnly, o.Now = r, true, r.now
	case o.Drill != nil:
		md = newDrillMode(o.Drill)
		if o.Drill.Trainee {
			// Nothing a trainee's keys could reach may name the fault.
			o.Export, o.Runbook = nil, nil
		}
	}
	c := common.Common{Styles: common.NewStyles(o.Renderer), Now: o.Now, Keys: keyMap(o), Mode: md.kind()}
	// A screen whose person may not arm is read-only for every pane and
	// dialog, whether the session or their role makes it so.
	c.ReadOnly = !c.Keys.Revert.Enabled()
	m := &Model{opts: o, c: c, pending: map[int]string{}, mode: md}
	m.probes = probes.New(c, o.Probes)
	m.palette = palette.New(c, o.Kinds)
	m.armed = armed.New(c)
	m.timeline = tlpane.New(c)
	m.status = statusbar.New(c)
	m.status.Journal = o.JournalPath
	m.status.Message = o.Notice
	if o.Shared && o.Seat != nil {
		m.status.Me = o.Seat.Who()
	}
	if o.Inventory != nil {
		m.status.Inventory = o.Inventory.Name
	}
	l := md.layout(m)
	m.panes = l.focusable(m)
	m.setFocus(slices.Index(m.panes, l.first))
	return m
}

// Init starts the event subscription, the minute clock, and (unless
// read-only) the first ledger reads: active faults, and orphans of a dead
// session to offer for revert.
func (m *Model) Init() tea.Cmd {
	cmds := m.mode.begin(m)
	if m.opts.Feed != nil {
		cmds = append(cmds, waitFeed(m.opts.Feed))
	}
	if rb := m.opts.Runbook; rb != nil && rb.Follow != nil && rb.Running != nil && m.c.Keys.Runbook.Enabled() && rb.Running() {
		cmds = append(cmds, m.runRunbook(rb.Follow, "runbook "+rb.Name+" is running: its questions come to this screen"))
	}
	return tea.Batch(cmds...)
}

// keyMap is the key map of o's screen: what its person may do, and only
// the keys that have something to act on.
func keyMap(o Options) *keys.KeyMap {
	p := keys.Permissions{Arm: !o.ReadOnly, Note: o.Notes != nil, HandOver: o.Shared, Replay: o.Cursor != nil}
	if o.Seat != nil {
		p.Arm = p.Arm && o.Seat.MayArm() == nil
		p.Note = p.Note && o.Seat.MayNote() == nil
	}
	k := keys.New(p)
	if o.Export == nil {
		k.Export.SetEnabled(false)
	}
	if o.Runbook == nil {
		k.Runbook.SetEnabled(false)
	}
	return k
}

// Outcome reports what quitting did with armed faults.
func (m *Model) Outcome() Outcome { return m.outcome }

// Updates counts Update calls; the idle test uses it to show nothing ticks
// when nothing moves.
func (m *Model) Updates() uint64 { return m.updates.Load() }

func (m *Model) setFocus(i int) {
	m.focus = (i + len(m.panes)) % len(m.panes)
	for j, p := range m.panes {
		p.Focus(j == m.focus)
	}
}

// beginOp records an operation in flight, shown as pending in the Armed
// pane until its result arrives.
func (m *Model) beginOp(desc string) int {
	m.nextOp++
	m.pending[m.nextOp] = desc
	m.syncPending()
	return m.nextOp
}

func (m *Model) endOp(op int) {
	delete(m.pending, op)
	m.syncPending()
}

func (m *Model) syncPending() {
	ops := make([]int, 0, len(m.pending))
	for op := range m.pending {
		ops = append(ops, op)
	}
	sort.Ints(ops)
	lines := make([]string, len(ops))
	for i, op := range ops {
		lines[i] = m.pending[op]
	}
	m.armed.SetPending(lines)
}

// moving tells whether a per-second redraw is needed: TTLs count down,
// operations are in flight.
func (m *Model) moving() bool { return m.mode.moving(m) }

// focused is the pane that has the focus.
func (m *Model) focused() pane { return m.panes[m.focus] }

// startTicking starts the one-second tick if it is needed and not running.
func (m *Model) startTicking() tea.Cmd {
	if m.ticking || !m.moving() {
		return nil
	}
	m.ticking = true
	return secondCmd()
}
