// Package timeline knows what happened during a game day: events, their
// in-process fan-out to subscribers, the fsync'd JSON-lines journal, and the
// markdown and JSON exports built from it.
package timeline

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Kind names what an Event reports. Kinds are dotted, subject first, so that
// a prefix ("fault.", "probe.") selects a family.
type Kind string

// The kinds of events gameday records. Producers must use these constants;
// exports and the TUI switch on them.
const (
	SessionStart Kind = "session.start" // a TUI, probe or runbook session began
	SessionEnd   Kind = "session.end"   // it ended (SessionEndData)
	SessionJoin  Kind = "session.join"  // a person attached to a shared session (PersonData)
	SessionLeave Kind = "session.leave" // a person left it (PersonData)
	SessionRole  Kind = "session.role"  // a person's role changed: a hand-over (PersonData)

	FaultArming   Kind = "fault.arming"   // ledger entry written, commands about to run
	FaultArmed    Kind = "fault.armed"    // inject ran and verify saw the fault in place
	FaultReverted Kind = "fault.reverted" // revert ran and verify saw it gone
	FaultExpired  Kind = "fault.expired"  // the host's TTL guard reverted it
	FaultFailed   Kind = "fault.failed"   // arming or reverting failed (FaultData.Error)
	FaultToggle   Kind = "fault.toggle"   // a flapping fault's guard verified a cut or a heal (FaultData.Toggle)

	ProbeWindow    Kind = "probe.window"    // one closed window of a probe (Reading)
	ProbeBreach    Kind = "probe.breach"    // status changed to breach
	ProbeRecovered Kind = "probe.recovered" // status changed back to ok
	ProbeError     Kind = "probe.error"     // status changed to error (cannot measure)

	SentinelSwitch Kind = "sentinel.switch" // +switch-master seen (SwitchData)
	SentinelEvent  Kind = "sentinel.event"  // +sdown, +odown, +failover-end, …
	NodeUp         Kind = "node.up"         // a driver saw a node come up
	NodeDown       Kind = "node.down"       // a driver saw a node go down
	KafkaLeader    Kind = "kafka.leader"    // a partition's leader moved (LeaderData)

	RunbookStep    Kind = "runbook.step"    // a runbook step started or ended
	RunbookVerdict Kind = "runbook.verdict" // the runbook's verdict (VerdictData)

	Note Kind = "note" // an operator's note; its author is the event's By
)

// Event is one thing that happened, as the journal stores it. Data is the
// event's typed payload (see eventdata.go): after Recorder.Record, and in
// events read back from a journal, an event of a registered kind carries a
// pointer to its registered type, or nil. Secrets never go into an Event:
// Record redacts what slips through.
type Event struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Kind    Kind      `json:"kind"`
	Source  string    `json:"source"`
	Host    string    `json:"host,omitempty"`
	Summary string    `json:"summary"`
	// By names the person who did it (a note's author, who armed or
	// reverted a fault, who started a runbook), when a person did.
	By   string `json:"by,omitempty"`
	Data any    `json:"data,omitempty"`
	// UnknownData holds the data members this gameday does not know: a
	// field a newer gameday added, or every member of an unknown kind.
	// They are written back as read and shown raw.
	UnknownData map[string]json.RawMessage `json:"-"`
	// UnknownFields holds unknown top-level members of a journal line.
	UnknownFields map[string]json.RawMessage `json:"-"`

	redacted bool // Record already redacted it: the journal need not again
}

// NewEvent returns an Event of kind k from source with a formatted summary.
// Time and Seq are filled in by the Recorder when left zero.
func NewEvent(k Kind, source, format string, args ...any) Event {
	return Event{Kind: k, Source: source, Summary: fmt.Sprintf(format, args...)}
}

// WithData returns a copy of e carrying v (usually a value or pointer of
// the kind's registered type) as its Data.
func (e Event) WithData(v any) Event {
	e.Data, e.UnknownData, e.redacted = v, nil, false
	e.normalize()
	return e
}

// DataAs returns e's Data as a *T, or nil when it holds something else.
func DataAs[T any](e Event) *T {
	p, _ := e.Data.(*T)
	return p
}

// Reading returns the reading of a probe.* event, or nil.
func (e Event) Reading() *Reading { return DataAs[Reading](e) }

// Fault returns the data of a fault.* event, or nil.
func (e Event) Fault() *FaultData { return DataAs[FaultData](e) }

// Session returns the data of a session.start event, or nil.
func (e Event) Session() *SessionData { return DataAs[SessionData](e) }

// Switch returns the data of a sentinel.switch event, or nil.
func (e Event) Switch() *SwitchData { return DataAs[SwitchData](e) }

// DataJSON returns e's data as one JSON object (typed Data and UnknownData
// together), or nil when it has none: what the journal stores, for raw
// display and the JSON export.
func (e Event) DataJSON() json.RawMessage {
	e.normalize()
	b, err := e.dataObject()
	if err != nil || len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// Deprecated helpers for producers and readers written before Data was
// typed. They work on typed and unknown data alike, at the price of a JSON
// round trip; new code uses the typed Data.

// With returns a copy of e with the data member key set to v.
//
// Deprecated: attach the kind's typed data with WithData.
func (e Event) With(key string, v any) Event {
	raw, err := json.Marshal(v)
	if err != nil {
		raw = quoteJSON(err.Error())
		key = "data_error"
	}
	obj := e.members()
	obj[key] = raw
	e.Data, e.UnknownData, e.redacted = nil, obj, false
	e.normalize()
	return e
}

// Decode fills v (a pointer to a struct with json tags) from e's data.
//
// Deprecated: use the typed Data (DataAs, Event.Reading, …).
func (e Event) Decode(v any) error {
	e.normalize()
	if e.Data != nil && len(e.UnknownData) == 0 && reflect.TypeOf(v) == reflect.TypeOf(e.Data) {
		reflect.ValueOf(v).Elem().Set(reflect.ValueOf(e.Data).Elem())
		return nil
	}
	b := e.DataJSON()
	if b == nil {
		b = json.RawMessage("{}")
	}
	return json.Unmarshal(b, v)
}

// String returns the data member key as a string, or "".
//
// Deprecated: use the typed Data.
func (e Event) String(key string) string {
	var s string
	if raw, ok := e.members()[key]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// members returns a fresh map of e's data members, typed and unknown.
func (e Event) members() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if b := e.DataJSON(); b != nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}
