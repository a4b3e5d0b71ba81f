package drills

import (
	"fmt"
	"io"
	"slices"

	"github.com/gameday-dev/gameday/timeline"
)

// WriteReport appends the drill section of a session's markdown report
// to w: what each scenario really armed and every trainee's score, from
// the events alone (Score), so the export, the session's report and the
// trainer's screen agree. It writes nothing when the events hold no
// drill.
func WriteReport(w io.Writer, events []timeline.Event) error {
	if !slices.ContainsFunc(events, func(e timeline.Event) bool { return e.Kind == KindStart }) {
		return nil
	}
	b := Score(events)
	state := "ended"
	if !b.Ended {
		state = "did not end (the journal stops before its reveal)"
	}
	_, err := fmt.Fprintf(w, "\n## Drill %s\n\nSeed %d; the drill %s.\n\n### What was armed\n\n```\n%s```\n\n### Scores\n\n```\n%s```\n",
		b.Drill, b.Seed, state, b.Truths(), b.Table())
	return err
}
