package timeline

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

// Reading is one closed window of one probe on one target: the Data of
// every probe.* event. It lives here rather than in probes because the
// timeline's analyzer reads it and probes imports timeline; probes.Reading
// is an alias of it. Fields that do not apply are zero and omitted.
type Reading struct {
	Time   time.Time `json:"time,omitzero"`
	Probe  string    `json:"probe"`  // "redis.latency", "sentinel.master", "kafka.lag", …
	Target string    `json:"target"` // service name, with group/topic where it applies
	Status Status    `json:"status"`
	// Value is the probe's headline number in Unit (p99 in ms, lag in
	// messages, success in percent, agreeing sentinels).
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitzero"`
	P50    float64 `json:"p50,omitzero"` // milliseconds
	P90    float64 `json:"p90,omitzero"`
	P99    float64 `json:"p99,omitzero"`
	Max    float64 `json:"max,omitzero"`
	Count  int64   `json:"count,omitzero"`
	Errors int64   `json:"errors,omitzero"`
	// ErrorClasses counts errors by class ("unavailable", "read_timeout", …).
	ErrorClasses map[string]int64 `json:"error_classes,omitempty"`
	// Threshold is the condition that decided Status, as written.
	Threshold string `json:"threshold,omitzero"`
	// Detail is a short human line ("master 127.0.0.1:16380, 3/3 agree").
	Detail string `json:"detail,omitzero"`
	// Master is the agreed master address (sentinel.master only).
	Master string `json:"master,omitzero"`
	// Stable reports, for sentinel.master, that every Sentinel agreed and
	// the master did not change during the window.
	Stable bool `json:"stable,omitzero"`
	// Window is the length of the window the reading covers.
	Window Duration `json:"window,omitzero"`
}

// Name is how screens and reports name the probe: "redis.latency redis".
func (r *Reading) Name() string { return ProbeName(r.Probe, r.Target) }

// ProbeName joins a probe and its target the way reports show them.
func ProbeName(probe, target string) string {
	switch {
	case target == "":
		return probe
	case probe == "":
		return target
	}
	return probe + " " + target
}

// Duration is a time.Duration that reads and writes as "10s" in JSON.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

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
