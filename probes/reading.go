// Package probes knows how healthy the system is: probes that run on their
// own schedule, rolling windows of their samples, and verdicts against
// thresholds.
package probes

import "github.com/gameday-dev/gameday/timeline"

// Status is a probe's verdict for one window (timeline.Status: the
// timeline's analyzer reads verdicts, and timeline cannot import probes).
type Status = timeline.Status

// The three verdicts, plus pending before the first window closes.
const (
	StatusPending = timeline.StatusPending
	StatusOK      = timeline.StatusOK
	StatusBreach  = timeline.StatusBreach
	StatusError   = timeline.StatusError // cannot measure
)

// Reading is one closed window of one probe on one target. It is what
// `gameday probe --json` prints, the Data of every probe.* event, and what
// the TUI and runbooks read. It is defined in timeline (see Status).
type Reading = timeline.Reading

// Duration is a time.Duration that reads and writes as "10s" in JSON.
type Duration = timeline.Duration
