package common

import "github.com/gameday-dev/gameday/timeline"

// EventsMsg carries timeline events read from the session, in order. The
// root model hands the same batch to every pane that shows events; each
// pane takes the kinds it cares about.
type EventsMsg struct {
	Events []timeline.Event
	// Analysis, when set (a reset of a replay), is the analysis of the
	// whole session up to and including Events: a pane that analyses
	// events takes it instead of feeding Events again, and owns it.
	Analysis *timeline.Analyzer
}
