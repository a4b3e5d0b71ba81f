// Package session owns a game day: where it records (the state directory,
// the journal and the Recorder feeding it), how it ends (the session.end
// event and the markdown report) and, for a live session, the probes (run
// once, however many screens watch), the fault manager, the runbook run
// and the people attached, each with a role that decides what their
// screen receives and what it may do. Every command that records a game
// day — the TUI, `gameday lab`, `gameday run`, `gameday serve` and the
// CLI's inject and revert — opens its session here.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/timeline"
)

// Config describes a session and where it records.
type Config struct {
	// Source says which command runs the session: "tui", "run", "serve",
	// "cli". It is the session.start event's source.
	Source string
	// Inventory names the inventory in the report (its name or path);
	// it defaults to Targets' name.
	Inventory string
	// Targets, when set, makes the session live: it runs the inventory's
	// probes (once, however many screens watch) and owns a fault manager
	// whose ledger is in the state directory.
	Targets *targets.Inventory
	// Probes tune the probe set of a live session.
	Probes probes.Options
	// FaultOptions configure the fault manager of a live session.
	FaultOptions []inject.Option
	// Runbook, when set, can be run in the session (RunRunbook); a live
	// session checks it against its inventory and probes before anything
	// is recorded.
	Runbook *runbooks.Runbook
	// Drill, when set, can be run in the session (RunDrill); a live
	// session checks it against its inventory, probes and blast radius
	// before anything is recorded.
	Drill *drills.Drill
	// Seed picks the drill's plan (drills.NewPlan); it is recorded in
	// drill.plan, so the same seed re-runs the same drill.
	Seed uint64
	// IKnow is the trainer's --i-know: with i-know: true on a candidate,
	// it lets the drill take down a majority of a service.
	IKnow bool
	// Title replaces the report's default title.
	Title string
	// Services is the inventory's service membership recorded in
	// session.start, so that the journal alone attributes breaches to the
	// services a fault touched; nil means probes.Membership(Targets).
	Services []timeline.ServiceInfo
	// StateDir holds sessions/ and ledger.jsonl ("" for the default state
	// directory, $XDG_STATE_HOME/gameday).
	StateDir string
	// Journal, when set, appends the session to this journal file instead
	// of creating a new one in the state directory.
	Journal string
	// Resume, when positive, continues the latest session of the state
	// directory instead of starting one, if the same Source started it and
	// wrote to it within Resume; with Journal, it appends to that journal
	// as it is, without a session.start. A resumable session records no
	// session.end: the next command carries on with it.
	Resume time.Duration
	// Deferred opens the journal only when the first event arrives, so a
	// command that ends up recording nothing (a dry run, bad input) leaves
	// no session behind. Opened, if set, is called once with its path.
	Deferred bool
	Opened   func(path string)
	// ReadOnly makes a session in which nobody arms, reverts or runs a
	// runbook, whatever their role (a spectator screen, an incident
	// bridge).
	ReadOnly bool
	// Shared marks a session people join and leave (gameday serve): joins,
	// leaves and hand-overs are recorded, and notes name their author.
	Shared bool
}

// BadInput wraps an error caused by what the user gave (an inventory that
// calls for a probe it cannot build, a runbook that does not fit the
// inventory), as opposed to a failure of the machine.
type BadInput struct{ Err error }

func (e *BadInput) Error() string { return e.Err.Error() }
func (e *BadInput) Unwrap() error { return e.Err }

// Session is one game day: a Recorder whose events go to the session's
// journal and, when live, the probes, the fault manager, the runbook run
// and the screens attached.
type Session struct {
	cfg  Config
	dir  string
	rec  *timeline.Recorder
	sink *journalSink

	// Live sessions only.
	set      *probes.Set
	mgr      *inject.Manager
	stop     context.CancelFunc
	done     sync.WaitGroup
	refresh  chan struct{}
	runbook  sync.Mutex // held while the runbook runs
	rbCancel context.CancelFunc
	// The drill run (nil before RunDrill), how to stop it, closed when it
	// has ended, and the events its score board is computed from.
	drill       *drills.Runner
	drillCancel context.CancelFunc
	drillDone   chan struct{}
	drillEvents []timeline.Event
	// rbDone is closed when the run in progress ends, rbResult its
	// result; asks routes its questions to the screens that follow it.
	rbDone   chan struct{}
	rbResult runbooks.Result
	asks     asks

	// replay, set for a replay session, is the recorded session and its
	// cursor.
	replay *Replay

	mu      sync.Mutex
	closed  bool
	atts    map[*Attachment]struct{}
	hist    *history
	granted map[string]Role   // hand-overs, by person
	armedBy map[string]string // fault ID → who armed it here
	// The armed faults as the ledger last listed them, and the sequence
	// number of the latest fault event that listing reflects.
	armed      []inject.Armed
	armedErr   error
	armedSeq   uint64
	listed     bool          // the ledger was listed at least once
	faultSeq   uint64        // the latest fault event seen
	armedReady chan struct{} // closed, and replaced, at each listing
}

// Open opens a session as cfg says: a new journal in the state directory
// (with its session.start event), cfg.Journal appended to (with a
// session.start of its own), or a recent session resumed. A live session
// (cfg.Targets) starts its probes; bad input (a probe the inventory cannot
// have, a runbook that does not fit) is a *BadInput and leaves no journal.
func Open(cfg Config) (*Session, error) {
	dir := cfg.StateDir
	if dir == "" {
		d, err := timeline.StateDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if cfg.Inventory == "" && cfg.Targets != nil {
		cfg.Inventory = cfg.Targets.Name
		if cfg.Inventory == "" {
			cfg.Inventory = filepath.Base(cfg.Targets.Path)
		}
	}
	info := timeline.SessionInfo{Source: cfg.Source, Inventory: cfg.Inventory, Title: cfg.Title}
	info.Services = cfg.Services
	if info.Services == nil && cfg.Targets != nil {
		// The membership lets the journal alone attribute what happened.
		info.Services = probes.Membership(cfg.Targets)
	}
	if cfg.Drill != nil && info.Title == "" {
		info.Title = "drill " + cfg.Drill.Name
	}
	if cfg.Runbook != nil {
		info.Runbook = cfg.Runbook.Name
		if info.Title == "" {
			info.Title = cfg.Runbook.Name
		}
	}
	s := newSession(cfg)
	s.dir = dir
	s.sink = &journalSink{opened: cfg.Opened, open: func() (*timeline.Journal, bool, error) {
		return openJournal(cfg, dir)
	}}
	// Nothing is recorded before the journal is open, so the Recorder can
	// exist first: the probes need it to be built, and building them is
	// what tells bad input apart before a journal is left behind.
	s.rec = timeline.NewRecorder(timeline.WithSink(s.sink))
	var sub *timeline.Subscription
	if cfg.Targets != nil {
		if err := s.build(); err != nil {
			s.rec.Close()
			return nil, err
		}
		sub = s.rec.Subscribe(1 << 16)
	}
	if cfg.Deferred {
		// The journal opens with the first event; a new session's
		// session.start goes in front of it, outside the Recorder (seq 0).
		s.sink.start = &info
	} else {
		fresh, err := s.sink.ensure()
		if err != nil {
			s.rec.Close()
			if s.mgr != nil {
				s.mgr.Close()
			}
			return nil, err
		}
		if fresh {
			s.rec.Record(info.StartEvent())
		}
	}
	if cfg.Targets != nil {
		s.start(sub)
	}
	return s, nil
}

// build makes a live session's fault manager and probe set, and checks
// its runbook and drill. The manager comes first: a drill's blast radius
// is judged by it. Arming nothing, it records nothing yet.
func (s *Session) build() error {
	opts := s.cfg.FaultOptions
	if inv := s.cfg.Targets; inv != nil && len(inv.Services.Redis) > 0 {
		// Every preview and arm takes the Redis roles the Sentinels give
		// then: after a failover the confirmation names the new master.
		opts = append([]inject.Option{inject.WithRoles(roles.New(inv).Resolve)}, opts...)
	}
	mgr, err := inject.NewManager(s.cfg.Targets, s.rec, s.LedgerPath(), opts...)
	if err != nil {
		return fmt.Errorf("open the fault ledger: %w", err)
	}
	s.mgr = mgr
	if err := s.check(); err != nil {
		mgr.Close()
		s.mgr = nil
		return err
	}
	return nil
}

func (s *Session) check() error {
	set, err := probes.NewSet(s.cfg.Targets, s.rec, s.cfg.Probes)
	if err != nil {
		return &BadInput{err}
	}
	s.set = set
	if rb := s.cfg.Runbook; rb != nil {
		if err := rb.Check(s.cfg.Targets, runbooks.ProbeKeys(set.Probes())); err != nil {
			return &BadInput{err}
		}
	}
	if s.cfg.Drill != nil {
		return s.checkDrill()
	}
	return nil
}

// start starts a live session's probes, the fan-out of events to screens
// and the listing of armed faults.
func (s *Session) start(sub *timeline.Subscription) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.refresh = make(chan struct{}, 1)
	s.refresh <- struct{}{} // list what is armed already
	s.done.Add(3)
	go func() { defer s.done.Done(); s.set.Run(ctx) }()
	go func() { defer s.done.Done(); s.fan(sub) }()
	go func() { defer s.done.Done(); s.listFaults(ctx) }()
}

// openJournal opens the journal cfg asks for; fresh tells that it starts a
// session, which then needs its session.start.
func openJournal(cfg Config, dir string) (j *timeline.Journal, fresh bool, err error) {
	if cfg.Resume > 0 {
		path, ok := cfg.Journal, cfg.Journal != ""
		if !ok {
			path, ok = resumable(dir, cfg.Source, cfg.Resume)
		}
		if ok {
			j, err := timeline.OpenJournal(path)
			return j, false, err
		}
	}
	if cfg.Journal != "" {
		j, err = timeline.OpenJournal(cfg.Journal)
	} else {
		j, err = timeline.CreateSessionJournal(dir, time.Now())
	}
	return j, err == nil, err
}

// resumable returns the latest session under dir when source started it
// and it was written to within span.
func resumable(dir, source string, span time.Duration) (string, bool) {
	path, err := timeline.LatestSession(dir)
	if err != nil {
		return "", false
	}
	fi, err := os.Stat(path)
	if err != nil || time.Since(fi.ModTime()) > span {
		return "", false
	}
	events, _, err := timeline.LoadJournal(path)
	if err != nil || len(events) == 0 {
		return "", false
	}
	first := events[0]
	return path, first.Kind == timeline.SessionStart && first.Source == source
}

// Recorder is where the session's events go.
func (s *Session) Recorder() *timeline.Recorder { return s.rec }

// Path is the journal's path ("" while a deferred journal is not open).
func (s *Session) Path() string { return s.sink.path() }

// StateDir is the state directory the session records in.
func (s *Session) StateDir() string { return s.dir }

// LedgerPath is the fault ledger of the session's state directory; ""
// means the default one (the state directory was not chosen).
func (s *Session) LedgerPath() string {
	if s.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(s.cfg.StateDir, "ledger.jsonl")
}

// Inventory is the live session's inventory (nil otherwise).
func (s *Session) Inventory() *targets.Inventory { return s.cfg.Targets }

// Probes describes the live session's probes, in the order screens list
// them.
func (s *Session) Probes() []probes.Info {
	if s.set == nil {
		return nil
	}
	return s.set.Probes()
}

// Faults is the live session's fault manager (nil otherwise). Screens go
// through their Attachment instead, which checks their role.
func (s *Session) Faults() *inject.Manager { return s.mgr }

// ReadOnly tells whether nobody may arm or revert in this session.
func (s *Session) ReadOnly() bool { return s.cfg.ReadOnly }

func (s *Session) source() string { return firstNonEmpty(s.cfg.Source, "gameday") }

// Close ends the session: it interrupts a running runbook and waits for
// its rollback, ends every attachment, stops the probes, records
// session.end with reason (unless the session is resumable), writes every
// event to the journal and closes it. It reverts nothing: call
// RevertArmed first to take this session's faults down. It returns the
// first error the journal reported.
func (s *Session) Close(reason string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	atts := make([]*Attachment, 0, len(s.atts))
	for a := range s.atts {
		atts = append(atts, a)
	}
	s.mu.Unlock()
	s.StopRunbook()
	s.StopDrill()
	for _, a := range atts {
		a.Detach()
	}
	if s.stop != nil {
		s.stop()
	}
	// The journal may be opened by the first event written to it (a
	// review's notes): wait for what was recorded to reach the sink
	// before asking whether there is a journal to end.
	s.rec.Sync()
	if s.cfg.Resume <= 0 && s.sink.path() != "" {
		s.rec.Record(timeline.EndEvent(reason))
	}
	s.rec.Close() // ends the fan-out's subscription
	s.done.Wait()
	var merr error
	if s.mgr != nil {
		merr = s.mgr.Close()
	}
	return errors.Join(s.rec.Err(), s.sink.Close(), merr)
}

// Report writes the markdown report of the session to out ("" for beside
// the journal), atomically and 0600, and returns its path. Call it after
// Close, or after Recorder().Flush() for a report of the session so far.
func (s *Session) Report(out string) (string, error) {
	if s.replay != nil {
		return s.reviewReport(out)
	}
	path := s.Path()
	if path == "" {
		return "", errors.New("the session recorded nothing, so it has no report")
	}
	if s.cfg.Drill == nil {
		return timeline.WriteSessionReport(path, out)
	}
	// A drill's report ends with its truths and score table.
	if out == "" {
		out = timeline.ReportPath(path)
	}
	events, warns, err := timeline.LoadJournal(path)
	if err != nil {
		return out, err
	}
	if parts := timeline.SplitSessions(events); len(parts) > 1 {
		events = parts[len(parts)-1]
	}
	r := timeline.BuildReport(events, timeline.ReportOptions{Journal: path, Warnings: warns})
	return out, timeline.WriteFileAtomic(out, func(w io.Writer) error {
		if err := r.WriteMarkdown(w); err != nil {
			return err
		}
		return drills.WriteReport(w, events)
	})
}

// journalSink is the Recorder's sink: the session journal, opened on first
// use when the session is deferred.
type journalSink struct {
	open   func() (*timeline.Journal, bool, error)
	opened func(path string)
	start  *timeline.SessionInfo // deferred: written before the first event of a fresh session

	mu sync.Mutex
	j  *timeline.Journal
}

var _ timeline.BatchSink = (*journalSink)(nil)

// ensure opens the journal if it is not open yet; fresh tells that this
// call opened a journal that starts a session.
func (js *journalSink) ensure() (fresh bool, err error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.j != nil {
		return false, nil
	}
	j, fresh, err := js.open()
	if err != nil {
		return false, err
	}
	js.j = j
	if js.opened != nil {
		js.opened(j.Path())
	}
	return fresh, nil
}

func (js *journalSink) path() string {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.j == nil {
		return ""
	}
	return js.j.Path()
}

// Append appends one event.
func (js *journalSink) Append(e timeline.Event) error {
	return js.AppendBatch([]timeline.Event{e})
}

// AppendBatch appends evs, opening the journal first if needed.
func (js *journalSink) AppendBatch(evs []timeline.Event) error {
	fresh, err := js.ensure()
	if err != nil {
		return err
	}
	if fresh && js.start != nil {
		start := js.start.StartEvent()
		start.Time = evs[0].Time
		evs = append([]timeline.Event{start}, evs...)
	}
	js.mu.Lock()
	j := js.j
	js.mu.Unlock()
	return j.AppendBatch(evs)
}

// Close closes the journal if it was opened.
func (js *journalSink) Close() error {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.j == nil {
		return nil
	}
	return js.j.Close()
}

// CLISource is the source of the sessions `gameday inject` and `gameday
// revert` record into.
const CLISource = "cli"

// CLIResume is how long after its last event a CLI session (gameday inject
// and revert without --journal) takes more commands, so that an inject,
// its revert and whatever came between in one game day export together
// with `gameday export --last`.
const CLIResume = 12 * time.Hour

// NoteOpened returns an Opened callback that prints the journal's path
// once on w, with how to export it.
func NoteOpened(w io.Writer) func(string) {
	return func(path string) { fmt.Fprintf(w, "timeline: %s (gameday export --last)\n", path) }
}
