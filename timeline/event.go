// Package timeline knows what happened during a game day: events, their
// in-process fan-out to subscribers, the fsync'd JSON-lines journal, and the
// markdown and JSON exports built from it.
package timeline

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind names what an Event reports. Kinds are dotted, subject first, so that
// a prefix ("fault.", "probe.") selects a family.
type Kind string

// The kinds of events gameday records. Producers must use these constants;
// exports and the TUI switch on them.
const (
	SessionStart Kind = "session.start" // a TUI, probe or runbook session began
	SessionEnd   Kind = "session.end"   // it ended (Data["reason"])
	SessionJoin  Kind = "session.join"  // someone attached a screen to a shared session (Data: person, role, from)
	SessionLeave Kind = "session.leave" // they detached (Data: person, role)
	SessionRole  Kind = "session.role"  // a facilitator handed the role to someone (Data: person, role, by)

	FaultArming   Kind = "fault.arming"   // ledger entry written, commands about to run
	FaultArmed    Kind = "fault.armed"    // inject ran and verify saw the fault in place
	FaultReverted Kind = "fault.reverted" // revert ran and verify saw it gone
	FaultExpired  Kind = "fault.expired"  // the host's TTL guard reverted it
	FaultFailed   Kind = "fault.failed"   // arming or reverting failed (Data["error"])

	ProbeWindow    Kind = "probe.window"    // one closed window of a probe (Data: probes.Reading)
	ProbeBreach    Kind = "probe.breach"    // status changed to breach
	ProbeRecovered Kind = "probe.recovered" // status changed back to ok
	ProbeError     Kind = "probe.error"     // status changed to error (cannot measure)

	SentinelSwitch Kind = "sentinel.switch" // +switch-master seen (Data: old, new)
	SentinelEvent  Kind = "sentinel.event"  // +sdown, +odown, +failover-end, …
	NodeUp         Kind = "node.up"         // a driver saw a node come up
	NodeDown       Kind = "node.down"       // a driver saw a node go down

	RunbookStep    Kind = "runbook.step"    // a runbook step started or ended
	RunbookVerdict Kind = "runbook.verdict" // the runbook's verdict (Data["verdict"])

	Note Kind = "note" // an operator's note
)

// Event is one thing that happened, as the journal stores it. Data carries
// structured detail; its keys are snake_case and documented by the producer.
// Secrets never go into an Event.
type Event struct {
	Seq     uint64         `json:"seq"`
	Time    time.Time      `json:"time"`
	Kind    Kind           `json:"kind"`
	Source  string         `json:"source"`
	Host    string         `json:"host,omitempty"`
	Summary string         `json:"summary"`
	Data    map[string]any `json:"data,omitempty"`
}

// NewEvent returns an Event of kind k from source with a formatted summary.
// Time and Seq are filled in by the Recorder when left zero.
func NewEvent(k Kind, source, format string, args ...any) Event {
	return Event{Kind: k, Source: source, Summary: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with Data[key] set to v.
func (e Event) With(key string, v any) Event {
	d := make(map[string]any, len(e.Data)+1)
	for k, old := range e.Data {
		d[k] = old
	}
	d[key] = v
	e.Data = d
	return e
}

// WithData returns a copy of e whose Data is v encoded as a JSON object
// (v is usually a struct with json tags, such as probes.Reading).
func (e Event) WithData(v any) Event {
	b, err := json.Marshal(v)
	if err != nil {
		return e.With("data_error", err.Error())
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return e.With("data_error", err.Error())
	}
	e.Data = m
	return e
}

// Decode fills v (a pointer to a struct with json tags) from e.Data. It is
// the inverse of WithData and works the same on live and reloaded events.
func (e Event) Decode(v any) error {
	b, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// String returns the data value for key as a string, or "".
func (e Event) String(key string) string {
	if s, ok := e.Data[key].(string); ok {
		return s
	}
	return ""
}
