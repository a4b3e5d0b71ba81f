package tui

import (
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/internal/journaltest"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
)

// BenchmarkReplayCursor moves the cursor of a replay of the synthetic
// 8-hour journal (≈ 120k events) at 120×36 and times what a key costs:
// the session re-derives the state at the new time (the events passed, or
// a reset from the checkpoint before it), the screen takes the frame and
// draws. "step" is → (1 s) from a position anywhere in the session,
// "seek" a jump to anywhere from anywhere (g/G, ], a far --at). Reports
// the median and the 99th percentile.
func BenchmarkReplayCursor(b *testing.B) {
	path := journaltest.Write(b, "eight-hours.jsonl", journaltest.EightHours(8, 20, 50))
	s, err := session.OpenReplay(session.ReplayConfig{Journal: path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close("bench over")
	start, end := s.Replay().Span()
	span := int64(end.Sub(start) / time.Second)
	// anywhere is the i-th of a spread of positions over the session
	// (a stride prime to its length visits it evenly, deterministically).
	anywhere := func(i int) time.Time {
		return start.Add(time.Duration(int64(i)*7919%(span-1)) * time.Second)
	}
	for _, tc := range []struct {
		name string
		// setup puts the cursor where the timed move starts; move is the
		// timed move.
		setup, move func(a *session.Attachment, i int) error
	}{
		{"step", func(a *session.Attachment, i int) error { return a.Seek(anywhere(i)) },
			func(a *session.Attachment, i int) error { return a.Step(time.Second) }},
		{"seek", func(a *session.Attachment, i int) error { return nil },
			func(a *session.Attachment, i int) error { return a.Seek(anywhere(i)) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			a, err := s.Attach(session.Person{Name: "ana", Role: session.Facilitator})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Detach()
			m := New(Options{Inventory: &targets.Inventory{Name: "lab"}, Feed: a, Faults: a, Notes: a, Seat: a, Cursor: a})
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
			take := func() { m.Update(waitFeed(a)()) }
			take()
			m.Update(marksMsg{marks: a.Marks()})
			var durs []time.Duration
			i := 0
			b.ResetTimer()
			for b.Loop() {
				i++
				b.StopTimer()
				if err := tc.setup(a, i); err != nil {
					b.Fatal(err)
				}
				if tc.name == "step" {
					take()
				}
				b.StartTimer()
				t := time.Now()
				if err := tc.move(a, i); err != nil {
					b.Fatal(err)
				}
				take()
				_ = m.View()
				durs = append(durs, time.Since(t))
			}
			b.StopTimer()
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "ms-p99")
		})
	}
}
