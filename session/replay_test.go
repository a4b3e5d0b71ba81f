package session

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/journaltest"
	"github.com/gameday-dev/gameday/timeline"
)

func openDrill(t *testing.T) (*Session, string) {
	t.Helper()
	path := journaltest.Write(t, "drill.jsonl", journaltest.Drill())
	s, err := OpenReplay(ReplayConfig{Journal: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close("test over") })
	return s, path
}

// frame reads the attachment's next frame, failing after 5 s.
func frame(t *testing.T, a *Attachment) timeline.Frame {
	t.Helper()
	ch := make(chan timeline.Frame, 1)
	go func() {
		f, ok := a.NextFrame()
		if !ok {
			f.Reset, f.At = false, time.Time{}
		}
		ch <- f
	}()
	select {
	case f := <-ch:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame within 5 s")
	}
	return timeline.Frame{}
}

// analysed feeds events[:p] to a fresh analyzer: what a screen that saw
// the session from its start would hold.
func analysed(events []timeline.Event, p int) *timeline.Analyzer {
	a := timeline.NewAnalyzer()
	for _, e := range events[:p] {
		a.Feed(e)
	}
	return a
}

func TestReplayStartsAtTheSessionStartWithAResetFrame(t *testing.T) {
	s, _ := openDrill(t)
	a := attach(t, s, "ana", Facilitator)
	f := frame(t, a)
	if !f.Reset || !f.At.Equal(journaltest.DrillStart) || f.Analysis == nil {
		t.Fatalf("first frame: reset %v at %v analysis %v; want a reset at %v with its analysis", f.Reset, f.At, f.Analysis != nil, journaltest.DrillStart)
	}
	if len(f.Events) != 1 || f.Events[0].Kind != timeline.SessionStart {
		t.Fatalf("the first frame holds %d events, want the session.start alone", len(f.Events))
	}
	if err := a.MayArm(); err == nil {
		t.Fatal("a replay lets its facilitator arm faults")
	}
}

// A step forward hands over exactly the events passed; a step back is a
// reset whose history and analysis are what a screen that had watched
// from the start would hold.
func TestReplayStepsForwardByEventsAndBackByReset(t *testing.T) {
	s, _ := openDrill(t)
	a := attach(t, s, "ana", Facilitator)
	frame(t, a)
	at := journaltest.DrillStart.Add(journaltest.DrillBreach + 9*time.Second)
	if err := a.Seek(at); err != nil {
		t.Fatal(err)
	}
	f := frame(t, a)
	if f.Reset || !f.At.Equal(at) {
		t.Fatalf("a seek 135 s on: reset %v at %v; want the events in between, at %v", f.Reset, f.At, at)
	}
	all := s.replay.idx.events
	p := s.replay.idx.pos(at)
	if got, want := len(f.Events), p-1; got != want {
		t.Fatalf("frame holds %d events, want the %d between the start and %v", got, want, at)
	}
	if last := f.Events[len(f.Events)-1]; last.Time.After(at) {
		t.Fatalf("the frame passes the cursor: %s at %v", last.Kind, last.Time)
	}
	if err := a.Step(-time.Second); err != nil {
		t.Fatal(err)
	}
	f = frame(t, a)
	back := at.Add(-time.Second)
	if !f.Reset || !f.At.Equal(back) || f.Analysis == nil {
		t.Fatalf("a step back: reset %v at %v; want a reset at %v", f.Reset, f.At, back)
	}
	p = s.replay.idx.pos(back)
	if got, want := f.Analysis.Faults(), analysed(all, p).Faults(); !reflect.DeepEqual(got, want) {
		t.Fatalf("analysis at the cursor differs from one fed from the start:\n got %+v\nwant %+v", got, want)
	}
	for _, e := range f.Events {
		if e.Time.After(back) {
			t.Fatalf("the reset holds %s at %v, after the cursor %v", e.Kind, e.Time, back)
		}
	}
}

// However the cursor gets somewhere — by checkpoint and clone, or by
// feeding from the start — the analysis is the same, across checkpoints.
func TestReplayAnalysisFromCheckpointsEqualsFeedingFromTheStart(t *testing.T) {
	s, _ := openDrill(t)
	x := s.replay.idx
	x.every, x.checkpoints = 64, nil
	x.reindex()
	for _, p := range []int{0, 1, 63, 64, 65, 400, 129, 700, len(x.events) - 1, len(x.events), 5} {
		got, want := x.analysis(p), analysed(x.events, p)
		if !reflect.DeepEqual(got.Faults(), want.Faults()) || !reflect.DeepEqual(got.Rows(), want.Rows()) {
			t.Fatalf("at %d: analysis from checkpoints differs from feeding the start", p)
		}
	}
}

func TestReplayJumpsBetweenSignificantEvents(t *testing.T) {
	s, _ := openDrill(t)
	a := attach(t, s, "ana", Facilitator)
	frame(t, a)
	var kinds []timeline.Kind
	for range 12 {
		if err := a.Jump(1); err != nil {
			t.Fatal(err)
		}
		f := frame(t, a)
		evs := f.Events
		if f.Reset {
			t.Fatalf("a jump of a few seconds was a reset")
		}
		if len(evs) == 0 {
			break // at the last mark: nothing moves
		}
		last := timeline.Kind("")
		for _, e := range evs {
			if significant(e.Kind) {
				last = e.Kind
			}
		}
		kinds = append(kinds, last)
	}
	want := []timeline.Kind{timeline.Note, timeline.FaultArming, timeline.FaultArmed, timeline.ProbeError,
		timeline.SentinelSwitch, timeline.ProbeBreach, timeline.ProbeRecovered, timeline.Note, timeline.FaultReverted}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("] stops at %v, want %v", kinds, want)
	}
	if err := a.Jump(-2); err != nil {
		t.Fatal(err)
	}
	f := frame(t, a)
	if !f.Reset || !f.At.Equal(journaltest.DrillStart.Add(journaltest.DrillRecover)) {
		t.Fatalf("two [ back from the revert: reset %v at %v, want the recovery at %v", f.Reset, f.At, journaltest.DrillRecover)
	}
}

// The armed pane at a cursor lists what was in place then, with the TTL
// guard's deadline of the time.
func TestReplayListsWhatWasArmedAtTheCursor(t *testing.T) {
	s, _ := openDrill(t)
	a := attach(t, s, "ana", Facilitator)
	frame(t, a)
	check := func(off time.Duration, want []inject.Armed) {
		t.Helper()
		if err := a.Seek(journaltest.DrillStart.Add(off)); err != nil {
			t.Fatal(err)
		}
		frame(t, a)
		got, err := a.List(true)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("at +%v: %d armed, want %d", off, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.ID != w.ID || g.State != w.State || !g.Deadline.Equal(w.Deadline) || g.Request.Kind != w.Request.Kind {
				t.Fatalf("at +%v: %+v, want %+v", off, g, w)
			}
		}
	}
	armed := inject.Armed{ID: "f-0001", State: inject.StateArmed, Request: inject.Request{Kind: "kill"},
		Deadline: journaltest.DrillStart.Add(journaltest.DrillArm + 5*time.Minute)}
	arming := armed
	arming.State = inject.StateArming
	check(time.Minute, nil)
	check(journaltest.DrillArm+100*time.Millisecond, []inject.Armed{arming})
	check(journaltest.DrillBreach, []inject.Armed{armed})
	check(journaltest.DrillRevert, nil)
	check(journaltest.DrillBreach, []inject.Armed{armed}) // back again
}

// A review note goes to the review journal beside the original, at the
// cursor's time, shows on the screen at once, and is there again when the
// session is replayed later; the original is never written.
func TestReplayReviewNotesGoBesideTheJournal(t *testing.T) {
	s, path := openDrill(t)
	before, _ := os.ReadFile(path)
	a := attach(t, s, "ben", Facilitator)
	frame(t, a)
	at := journaltest.DrillStart.Add(journaltest.DrillSwitch)
	if err := a.Seek(at); err != nil {
		t.Fatal(err)
	}
	frame(t, a)
	if err := a.Note("why did the switch take 4 s?"); err != nil {
		t.Fatal(err)
	}
	f := frame(t, a)
	if len(f.Events) != 1 || f.Events[0].Kind != timeline.Note || !f.Events[0].Time.Equal(at) {
		t.Fatalf("after the note the screen got %+v, want the note at %v", f.Events, at)
	}
	if err := s.Close("review over"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("the replayed journal changed")
	}
	review := ReviewPath(path)
	if review != filepath.Join(filepath.Dir(path), "drill.review.jsonl") {
		t.Fatalf("review journal %s", review)
	}
	if got := kinds(t, review); got != "session.start note session.end" {
		t.Fatalf("review journal holds %s", got)
	}
	again, err := OpenReplay(ReplayConfig{Journal: path})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close("done")
	b := attach(t, again, "cy", Observer)
	var found bool
	for _, m := range b.Marks() {
		if m.Kind == timeline.Note && m.Source == ReplaySource && m.Time.Equal(at) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the review note is not among the marks of the next replay: %+v", b.Marks())
	}
	if err := b.Step(time.Second); err == nil {
		t.Fatal("an observer moved the cursor")
	}
}

func TestReplayOfWhatIsNotAJournalIsBadInput(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":  "",
		"yaml":   "hosts:\n  - name: a\n",
		"binary": "\x00\x01\x02\xff\xfe\n\x7fELF\x02\x01",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := OpenReplay(ReplayConfig{Journal: path})
		var bad *BadInput
		if !errors.As(err, &bad) {
			t.Errorf("%s: %v, want bad input", name, err)
		}
	}
}
