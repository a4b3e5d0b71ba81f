// Package probes knows how healthy the system is: probes that run on their
// own schedule, rolling windows of their samples, and verdicts against
// thresholds.
package probes

import (
	"fmt"
	"time"
)

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
	// Stable reports, for sentinel.master, that every Sentinel agreed and
	// the master did not change during the window.
	Stable bool `json:"stable,omitempty"`
	// Window is the length of the window the reading covers.
	Window Duration `json:"window,omitempty"`
}

// Duration is a time.Duration that reads and writes as "10s" in JSON.
type Duration time.Duration

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON reads a Go duration string (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		v, err := time.ParseDuration(s[1 : len(s)-1])
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		return fmt.Errorf("duration %s: %w", s, err)
	}
	*d = Duration(n)
	return nil
}
