package labapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// Flap, when set, has the lab toggle the fault until the guard fires.
	Flap *Flap `json:"flap,omitempty"`
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

// FlapFile has one Toggle per line: every verified toggle of the lab's
// flapping guards, appended and synced.
const FlapFile = "flaps.jsonl"

// Flap has a guard toggle its fault until it fires (or is stopped): the
// Inject actions (the cut and its in-place checks), Cut later the guard's
// Actions (the heal and its gone checks), Heal later again, and so on. A
// toggle whose actions all passed is logged as verified; one that failed
// heals, is logged failed and ends the toggling. When the guard fires or is
// cancelled, the toggling stops first (healed if it was in a cut).
type Flap struct {
	Cut    Duration `json:"cut"`
	Heal   Duration `json:"heal"`
	Inject []Action `json:"inject"`
}

// Toggle is one line of FlapFile.
type Toggle struct {
	Guard string    `json:"guard"`
	N     int       `json:"n"`     // 1 for the first cut
	State string    `json:"state"` // "cut", "healed" or "failed"
	At    time.Time `json:"at"`    // when its actions and checks had all passed
	Why   string    `json:"why,omitempty"`
}

// ReadToggles returns the toggles guard id logged in the lab dir dir, in
// order (none when the file is not there yet).
func ReadToggles(dir, id string) ([]Toggle, error) {
	f, err := os.Open(filepath.Join(dir, FlapFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Toggle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var t Toggle
		if json.Unmarshal(sc.Bytes(), &t) == nil && t.Guard == id {
			out = append(out, t)
		}
	}
	return out, sc.Err()
}
