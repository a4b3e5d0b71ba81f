// Package probes knows how healthy the system is: probes that run on their
// own schedule, rolling windows of their samples, and verdicts against
// thresholds.
package probes

import "time"

// Status is a probe's verdict for one window.
type Status string

// The three verdicts, plus pending before the first window closes.
const (
	StatusPending Status = "pending"
	StatusOK      Status = "ok"
	StatusBreach  Status = "breach"
	StatusError   Status = "error" // cannot measure
)

// Reading is one closed window of one probe on one target. It is what
// `gameday probe --json` prints, what a probe.window event carries in its
// Data, and what the TUI and runbooks read. Fields that do not apply are
// zero and omitted.
type Reading struct {
	Time   time.Time `json:"time"`
	Probe  string    `json:"probe"`  // "redis.latency", "sentinel.master", "kafka.lag", …
	Target string    `json:"target"` // service name, with group/topic where it applies
	Status Status    `json:"status"`
	// Value is the probe's headline number in Unit (p99 in ms, lag in
	// messages, success in percent, agreeing sentinels).
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	P50    float64 `json:"p50,omitempty"` // milliseconds
	P90    float64 `json:"p90,omitempty"`
	P99    float64 `json:"p99,omitempty"`
	Max    float64 `json:"max,omitempty"`
	Count  int64   `json:"count,omitempty"`
	Errors int64   `json:"errors,omitempty"`
	// ErrorClasses counts errors by class ("unavailable", "read_timeout", …).
	ErrorClasses map[string]int64 `json:"error_classes,omitempty"`
	// Threshold is the condition that decided Status, as written.
	Threshold string `json:"threshold,omitempty"`
	// Detail is a short human line ("master 127.0.0.1:16380, 3/3 agree").
	Detail string `json:"detail,omitempty"`
	// Master is the agreed master address (sentinel.master only).
	Master string `json:"master,omitempty"`
}
