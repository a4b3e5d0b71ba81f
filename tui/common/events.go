package common

import "github.com/gameday-dev/gameday/timeline"

// EventsMsg carries timeline events read from the Recorder subscription, in
// order. The root model hands the same batch to every pane that shows
// events; each pane takes the kinds it cares about.
type EventsMsg struct {
	Events []timeline.Event
}
