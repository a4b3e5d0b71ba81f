package session

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/timeline"
)

// ReplaySource is the source of a replay session: what its review
// journal's session.start and its notes say they come from.
const ReplaySource = timeline.ReviewSource

// ReplayConfig describes a replay: a recorded session watched again as of
// a time cursor, with review notes written beside it.
type ReplayConfig struct {
	// Journal is the recorded session (any gameday journal).
	Journal string
	// Review is the review journal notes go to and are read back from
	// ("": ReviewPath(Journal), next to the original, which is never
	// written).
	Review string
	// All replays every session of a journal several runs appended to,
	// together; by default only the last one, as gameday export does.
	All bool
	// Person names the reviewer in the review journal ("" leaves notes
	// unattributed).
	Person string
}

// ReviewPath is where the review notes of journal go by default: beside
// it, "NAME.review.jsonl" for "NAME.jsonl".
func ReviewPath(journal string) string {
	return strings.TrimSuffix(journal, ".jsonl") + timeline.ReviewSuffix
}

// IsReview tells whether path names a review journal rather than a
// recorded session.
func IsReview(path string) bool { return strings.HasSuffix(path, timeline.ReviewSuffix) }

// Replay is what a replay session knows beyond a live one: the recorded
// session, indexed, and the cursor every screen attached to it follows.
type Replay struct {
	journal  string
	warnings []timeline.Warning
	parts    int // sessions in the journal
	idx      *replayIndex
	// The cursor: the time screens show and how many events they have
	// passed. Moved under the session's mutex; at is also kept atomically
	// for readers outside it.
	at     time.Time
	p      int
	atNano atomic.Int64
}

// OpenReplay opens a replay of cfg.Journal: the recorded session, and any
// review notes already beside it, laid out for a cursor that starts at the
// session's start. Screens attach to it as to a live session; nobody arms
// anything. A file that is not a journal is a *BadInput.
func OpenReplay(cfg ReplayConfig) (*Session, error) {
	events, warns, err := timeline.LoadJournal(cfg.Journal)
	if err != nil {
		var nj *timeline.NotJournalError
		if errors.As(err, &nj) {
			return nil, &BadInput{err}
		}
		return nil, err
	}
	r := &Replay{journal: cfg.Journal, warnings: warns, parts: 1}
	if parts := timeline.SplitSessions(events); len(parts) > 1 {
		r.parts = len(parts)
		if !cfg.All {
			events = parts[len(parts)-1]
		}
	}
	review := cfg.Review
	if review == "" {
		review = ReviewPath(cfg.Journal)
	}
	notes, rwarns, err := ReadReview(review)
	if err != nil {
		return nil, err
	}
	r.warnings = append(r.warnings, rwarns...)
	// Notes merge in at their time; copy first: LoadJournal's slice has
	// no room to spare, and the journal's own events stay as read.
	r.idx = newReplayIndex(MergeNotes(events, notes))
	r.seek(r.idx.events[0].Time)

	title := "Review of " + filepath.Base(cfg.Journal)
	s := newSession(Config{Source: ReplaySource, Journal: review, Deferred: true, ReadOnly: true, Title: title})
	s.replay, s.dir = r, filepath.Dir(review)
	s.sink = &journalSink{start: &timeline.SessionInfo{Source: ReplaySource, Inventory: cfg.Journal, Title: title},
		open: func() (*timeline.Journal, bool, error) {
			j, err := timeline.OpenJournal(review)
			if err != nil {
				return nil, false, fmt.Errorf("cannot write review notes to %s: %w", review, err)
			}
			return j, true, nil
		}}
	s.rec = timeline.NewRecorder(timeline.WithSink(s.sink))
	sub := s.rec.Subscribe(256)
	s.done.Add(1)
	go func() { defer s.done.Done(); s.fanReview(sub) }()
	return s, nil
}

// newSession returns a session's shared state, before its source is set.
func newSession(cfg Config) *Session {
	return &Session{cfg: cfg, atts: map[*Attachment]struct{}{}, hist: newHistory(),
		granted: map[string]Role{}, armedBy: map[string]string{}, armedReady: make(chan struct{})}
}

// ReadReview reads the notes of a review journal; a review journal that
// does not exist yet holds none, and one that holds no event at all is a
// warning, not an error: the session under review still replays.
func ReadReview(path string) ([]timeline.Event, []timeline.Warning, error) {
	events, warns, err := timeline.LoadJournal(path)
	var nj *timeline.NotJournalError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, nil
	case errors.As(err, &nj):
		return nil, []timeline.Warning{{File: path, Msg: "holds no review note: " + err.Error()}}, nil
	case err != nil:
		return nil, nil, err
	}
	var notes []timeline.Event
	for _, e := range events {
		if e.Kind == timeline.Note {
			notes = append(notes, e)
		}
	}
	return notes, warns, nil
}

// MergeNotes returns events with notes inserted at their times: each
// after every event a cursor at its time has passed. events is not
// modified.
func MergeNotes(events, notes []timeline.Event) []timeline.Event {
	out := make([]timeline.Event, 0, len(events)+len(notes))
	if len(notes) == 0 {
		return append(out, events...)
	}
	notes = slices.Clone(notes)
	slices.SortStableFunc(notes, func(a, b timeline.Event) int { return a.Time.Compare(b.Time) })
	x := &replayIndex{events: events, every: CheckpointEvery}
	x.reindexReach()
	from := 0
	for _, n := range notes {
		q := x.pos(n.Time)
		out = append(append(out, events[from:q]...), n)
		from = q
	}
	return append(out, events[from:]...)
}

// Replay is the replay side of a replay session (nil for a live one).
func (s *Session) Replay() *Replay { return s.replay }

// Warnings are the problems met reading the journal and its review notes:
// a torn last line, skipped lines, a journal from a newer gameday.
func (r *Replay) Warnings() []timeline.Warning { return r.warnings }

// Sessions counts the sessions in the journal (several runs can append to
// one); all but the last are replayed only with ReplayConfig.All.
func (r *Replay) Sessions() int { return r.parts }

// Journal is the recorded session's path.
func (r *Replay) Journal() string { return r.journal }

// Span is the first and the last moment of the recorded session.
func (r *Replay) Span() (start, end time.Time) { return r.idx.span() }

// Inventory names the inventory the recorded session ran against, as its
// session.start says ("" when it does not).
func (r *Replay) Inventory() string {
	for _, e := range r.idx.events {
		if sd := e.Session(); sd != nil && e.Kind == timeline.SessionStart && e.Source != ReplaySource {
			return sd.Inventory
		}
	}
	return ""
}

// Events counts the events replayed.
func (r *Replay) Events() int { return len(r.idx.events) }

// seek puts the cursor at t (within the span); the caller tells screens.
func (r *Replay) seek(t time.Time) {
	start, end := r.idx.span()
	if t.Before(start) {
		t = start
	}
	if t.After(end) {
		t = end
	}
	r.at, r.p = t, r.idx.pos(t)
	r.atNano.Store(t.UnixNano())
}

// At is the cursor's time.
func (r *Replay) At() time.Time {
	start, _ := r.idx.span()
	return time.Unix(0, r.atNano.Load()).In(start.Location())
}

// move moves the session's cursor with how and brings every attached
// screen there: the events in between for a short step forward, a reset
// for any other move.
func (s *Session) move(how func(r *Replay)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.replay
	from := r.p
	how(r)
	switch {
	case r.p >= from && r.p-from <= ScreenQueue:
		evs := r.idx.events[from:r.p:r.p]
		for a := range s.atts {
			a.advance(evs)
		}
	default:
		for a := range s.atts {
			a.resync()
		}
	}
}

// fanReview takes the review notes the session records: each goes into
// the recording at its time, and to the screens when they have passed it.
func (s *Session) fanReview(sub *timeline.Subscription) {
	for e := range sub.C() {
		if e.Kind != timeline.Note {
			continue
		}
		s.mu.Lock()
		r := s.replay
		q := r.idx.insert(e)
		switch {
		case q == r.p:
			r.p++
			for a := range s.atts {
				a.advance([]timeline.Event{r.idx.events[q]})
			}
		case q < r.p:
			r.p++
			for a := range s.atts {
				a.resync()
			}
		}
		s.mu.Unlock()
	}
}

// replayFrame is the reset frame of p's screen at the cursor.
func (s *Session) replayFrame(p Person) timeline.Frame {
	r := s.replay
	f := timeline.Frame{Events: r.idx.history(r.p).snapshot(p), Reset: true, At: r.at}
	if p.Role.SeesFaults() {
		f.Analysis = r.idx.analysis(r.p)
	}
	return f
}

// Marks are the session's significant events, by time: faults, breaches
// and recoveries, Sentinel switches and notes (review notes included),
// for a scrub bar.
func (a *Attachment) Marks() []timeline.Row {
	if a.s.replay == nil {
		return nil
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	marks := a.s.replay.idx.marksCopy()
	if !a.role().SeesFaults() {
		return slicesDeleteFaults(marks)
	}
	return marks
}

// Span is the replayed session's first and last moment (zero live).
func (a *Attachment) Span() (start, end time.Time) {
	if a.s.replay == nil {
		return time.Time{}, time.Time{}
	}
	return a.s.replay.Span()
}

// MayMove says why this person may not move the replay's cursor (nil:
// they may). In a review shown to many, the facilitator drives.
func (a *Attachment) MayMove() error {
	switch p := a.Person(); {
	case a.s.replay == nil:
		return errors.New("this session is live: its clock is the wall clock")
	case !p.Role.MayArm():
		return fmt.Errorf("%ss follow the cursor: ask %s to move it", p.Role, a.s.whoArms())
	}
	return nil
}

// Seek moves the cursor to t (kept within the session).
func (a *Attachment) Seek(t time.Time) error {
	if err := a.MayMove(); err != nil {
		return err
	}
	a.s.move(func(r *Replay) { r.seek(t) })
	return nil
}

// Step moves the cursor by d (back when negative).
func (a *Attachment) Step(d time.Duration) error {
	if err := a.MayMove(); err != nil {
		return err
	}
	a.s.move(func(r *Replay) { r.seek(r.at.Add(d)) })
	return nil
}

// Jump moves the cursor to the next significant event after it (n > 0)
// or the previous one before it (n < 0), n of them away; it stays where
// it is when there is none.
func (a *Attachment) Jump(n int) error {
	if err := a.MayMove(); err != nil {
		return err
	}
	sees := a.role().SeesFaults()
	a.s.move(func(r *Replay) {
		at := r.at
		var target *timeline.Row
		marks := r.idx.marks
		for n != 0 {
			var found *timeline.Row
			if n > 0 {
				for i := range marks {
					if m := &marks[i]; m.Time.After(at) && (sees || !faultKind(m.Kind)) {
						found = m
						break
					}
				}
				n--
			} else {
				for i := len(marks) - 1; i >= 0; i-- {
					if m := &marks[i]; m.Time.Before(at) && (sees || !faultKind(m.Kind)) {
						found = m
						break
					}
				}
				n++
			}
			if found == nil {
				break
			}
			target, at = found, found.Time
		}
		if target != nil {
			// Seq is the position + 1: the cursor goes where the mark
			// and every event recorded before it have happened.
			r.seek(r.idx.settle(int(target.Seq)))
		}
	})
	return nil
}

func faultKind(k timeline.Kind) bool { return strings.HasPrefix(string(k), "fault.") }

func slicesDeleteFaults(marks []timeline.Row) []timeline.Row {
	out := marks[:0]
	for _, m := range marks {
		if !faultKind(m.Kind) {
			out = append(out, m)
		}
	}
	return out
}

// reviewReport writes the markdown report of the replayed session with
// its review notes, marked as such, to out ("": NAME.review.md beside the
// journal), atomically and 0600, and returns its path.
func (s *Session) reviewReport(out string) (string, error) {
	r := s.replay
	if out == "" {
		out = strings.TrimSuffix(r.journal, ".jsonl") + ".review.md"
	}
	s.mu.Lock()
	events := slices.Clone(r.idx.events)
	s.mu.Unlock()
	rep := timeline.BuildReport(events, timeline.ReportOptions{Journal: r.journal, Warnings: r.warnings})
	return out, timeline.WriteFileAtomic(out, rep.WriteMarkdown)
}

// armedAt lists the faults in place at the frame a screen last took.
func (s *Session) armedAt(p int) []inject.Armed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replay.idx.armed(p)
}
