package labapi

import (
	"encoding/json"
	"fmt"
	"time"
)

// Files the lab keeps in its dir for its guards.
const (
	// GuardsFile mirrors the armed guards, so a lab that died with guards
	// pending runs their reverts at its next start.
	GuardsFile = "guards.json"
	// FiredFile has one FiredGuard per line, appended and synced.
	FiredFile = "guards-fired.jsonl"
)

// Guard is a TTL guard held by the lab process: when it expires, the lab
// runs its revert actions, whether or not whoever armed the fault is
// still alive. It is the body and the answer of POST /v1/guards.
type Guard struct {
	ID string `json:"id"`
	// TTL is how long after arming the guard fires (a Go duration in JSON,
	// "5m").
	TTL Duration `json:"ttl"`
	// Expires is set by the lab when the guard is armed.
	Expires time.Time `json:"expires,omitzero"`
	// Actions revert the fault.
	Actions []Action `json:"actions"`
}

// Duration is a time.Duration written as a Go duration string in JSON.
type Duration time.Duration

// MarshalJSON writes "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string such as \"5m\"")
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// FiredGuard is one line of guards-fired.jsonl: a guard whose reverts ran
// without being cancelled. Results say whether each revert action worked.
type FiredGuard struct {
	ID      string    `json:"id"`
	FiredAt time.Time `json:"fired_at"`
	// Reason is "ttl", "lab stopped" or "lab restarted".
	Reason  string   `json:"reason"`
	Results []Result `json:"results"`
}
