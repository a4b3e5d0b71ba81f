package timeline

import "time"

// Frame is what a session hands a screen at once: events to take in, in
// order, and what the screen cannot work out from them alone.
//
// A live screen gets more of the same in each frame. A reset frame (the
// first, the one after a screen fell behind, and every jump of a replay's
// cursor) replaces what the screen shows: Events are then the session's
// kept history, and Analysis, when set, is the analysis of the whole
// session up to and including them — a replay takes it from a checkpoint
// instead of feeding the screen hours of events again.
type Frame struct {
	Events []Event
	// Reset means the screen forgets what it shows and rebuilds from
	// this frame alone.
	Reset bool
	// Analysis, on a reset, already holds Events and everything before
	// them: the screen goes on feeding it the frames that follow, and
	// does not analyse Events again. Nil: the screen analyses Events
	// itself. The screen owns it.
	Analysis *Analyzer
	// At is the time the frame brings the screen to, in a replay: its
	// clock follows the cursor, not the wall. Zero for a live screen.
	At time.Time
}
