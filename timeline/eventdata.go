package timeline

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The typed Data of each kind of event. After Recorder.Record, and in every
// event ReadJournal returns, an event of a kind listed here carries a
// pointer to its type (or nil when the event had no data): *Reading for
// probe.*, *FaultData for fault.*, and so on. Read it with the accessors
// (Event.Reading, Event.Fault, …) or a type switch; never by string key.

// JournalFormat is the journal format this gameday writes, recorded in
// every session.start. Journals written before it was recorded are format
// 1; a journal with a higher number comes from a newer gameday.
const JournalFormat = 2

// SessionData is the Data of session.start: what the session ran against,
// so that a journal alone is enough to attribute what happened.
type SessionData struct {
	// Format is the JournalFormat of the gameday that wrote the journal.
	Format    int    `json:"format,omitzero"`
	Inventory string `json:"inventory,omitzero"` // inventory name or path
	Runbook   string `json:"runbook,omitzero"`   // runbook name, when one drives the session
	Title     string `json:"title,omitzero"`     // report title
	// Services is the inventory's service membership: which hosts each
	// service runs on and which probes watch it.
	Services []ServiceInfo `json:"services,omitempty"`
}

// ServiceInfo is one service of the inventory as a session saw it.
type ServiceInfo struct {
	Kind  string   `json:"kind"`  // "redis", "kafka" or "cassandra"
	Name  string   `json:"name"`  // the inventory's service name
	Hosts []string `json:"hosts"` // inventory host names running it (its blast radius)
	// Probes name the probes that watch it, as ProbeName renders them
	// ("redis.latency cache").
	Probes []string `json:"probes,omitempty"`
	// Sentinels is how many Sentinels watch a Redis deployment, so that
	// "seen by 2/3 sentinels" can be said from the journal alone.
	Sentinels int `json:"sentinels,omitzero"`
}

// SessionEndData is the Data of session.end.
type SessionEndData struct {
	Reason string `json:"reason,omitzero"`
}

// FaultData is the Data of fault.arming, fault.armed, fault.reverted,
// fault.expired and fault.failed events. Every event of one fault carries
// the same FaultID.
type FaultData struct {
	FaultID string   `json:"fault_id"`
	Kind    string   `json:"kind"`             // fault kind: "latency", "process-kill", …
	Hosts   []string `json:"hosts"`            // inventory host names
	Params  Params   `json:"params,omitempty"` // redacted when recorded
	TTL     Duration `json:"ttl,omitzero"`     // the TTL guard's time to live
	Session string   `json:"session,omitzero"` // the gameday process that armed it
	Error   string   `json:"error,omitzero"`   // fault.failed only
	// Injected is when the first inject command began on a host: the
	// moment its effects can start. Zero when the producer did not say;
	// the analyzer then counts from fault.arming.
	Injected time.Time `json:"injected,omitzero"`
	// Toggle is fault.toggle's: which toggle of a flap, on which host.
	Toggle *ToggleData `json:"toggle,omitempty"`
}

// ToggleData is one toggle of a flapping fault, as the host's guard
// verified it before logging it.
type ToggleData struct {
	Host string `json:"host"`
	N    int    `json:"n"` // 1 for the first cut
	// State is "cut" (verified in place), "healed" (verified gone) or
	// "failed" (a toggle did not verify: the guard healed and stopped
	// flapping; Why says which step).
	State    string    `json:"state"`
	Verified time.Time `json:"verified,omitzero"` // the host's clock when verified
	Why      string    `json:"why,omitzero"`
}

// Params are a fault's parameters by name, as text.
type Params map[string]string

// Redacted returns p without secret-looking names and with secrets in the
// values replaced, by the rules every event is redacted with: what a screen
// or a dry run may show of parameters the ledger keeps whole for a revert.
func (p Params) Redacted() Params {
	v, changed := scrubValue(reflect.ValueOf(p))
	if !changed {
		return p
	}
	return v.Interface().(Params)
}

// String renders the parameters, redacted, in a stable order:
// "delay=500ms jitter=0s", or "(none)".
func (p Params) String() string {
	r := p.Redacted()
	if len(r) == 0 {
		return "(none)"
	}
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(r)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + r[k])
	}
	return b.String()
}

// UnmarshalJSON reads a parameter object whose values may be numbers or
// booleans (older producers did not stringify them) as text.
func (p *Params) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Params, len(raw))
	for k, v := range raw {
		var s string
		switch {
		case json.Unmarshal(v, &s) == nil:
		case string(v) == "null":
			continue
		default:
			s = string(bytes.TrimSpace(v))
		}
		out[k] = s
	}
	*p = out
	return nil
}

// SwitchData is the Data of sentinel.switch: a Redis master changed.
type SwitchData struct {
	Service    string `json:"service"`           // inventory service name
	MasterName string `json:"master_name"`       // Sentinel's name for the master
	Old        string `json:"old"`               // host:port
	New        string `json:"new"`               // host:port
	Sentinel   string `json:"sentinel,omitzero"` // the Sentinel that told, or "poll"
	// SeenBy counts the Sentinels that announced the switch, when known.
	SeenBy int `json:"seen_by,omitzero"`
}

// SentinelEventData is the Data of sentinel.event: one message from one
// Sentinel's event channels (+sdown, +odown, +failover-end, …).
type SentinelEventData struct {
	Service  string `json:"service"`
	Event    string `json:"event"`   // the channel: "+sdown"
	Payload  string `json:"payload"` // "master mymaster 127.0.0.1 6379"
	Sentinel string `json:"sentinel"`
}

// NodeData is the Data of node.up and node.down: a driver's view of a node.
type NodeData struct {
	Service string `json:"service"`
	Node    string `json:"node"` // host:port
	DC      string `json:"dc,omitzero"`
	HostID  string `json:"host_id,omitzero"`
}

// LeaderData is the Data of kafka.leader: a partition's leader moved.
type LeaderData struct {
	Service   string `json:"service"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Old       int32  `json:"old"` // broker id; -1 for none
	New       int32  `json:"new"`
}

// StepData is the Data of runbook.step.
type StepData struct {
	Runbook  string `json:"runbook"`
	Step     int    `json:"step,omitzero"` // 1-based; 0 for the runbook's own begin
	Action   string `json:"action,omitzero"`
	Phase    string `json:"phase"` // "begin", "start" or "end"
	Rollback bool   `json:"rollback,omitzero"`
	Result   string `json:"result,omitzero"`
	Detail   string `json:"detail,omitzero"`
	// Vars are the runbook's variables, on its begin event.
	Vars map[string]string `json:"vars,omitempty"`
}

// Verdicts a runbook.verdict event carries.
const (
	VerdictHeld     = "held"
	VerdictDeviated = "deviated"
	VerdictAborted  = "aborted"
)

// ConditionResult is one hypothesis condition and how it fared.
type ConditionResult struct {
	Condition string `json:"condition"`       // as written in the runbook
	Held      bool   `json:"held"`            // false: deviated
	Worst     string `json:"worst,omitempty"` // worst value seen, with its unit
}

// VerdictData is the Data of runbook.verdict.
type VerdictData struct {
	Verdict    string            `json:"verdict"` // VerdictHeld, VerdictDeviated or VerdictAborted
	Runbook    string            `json:"runbook,omitempty"`
	Reason     string            `json:"reason,omitempty"` // why it deviated or aborted, one line
	Conditions []ConditionResult `json:"conditions,omitempty"`
}

// PersonData is the Data of session.join, session.leave and session.role:
// a person attached to (or left, or took a new role in) a shared session.
type PersonData struct {
	Person string `json:"person"`
	Role   string `json:"role,omitzero"` // "facilitator", "scribe", "observer", "trainer", "trainee"
	From   string `json:"from,omitzero"` // session.role: the role they had before; join: where from
}

func init() {
	RegisterData[SessionData](SessionStart)
	RegisterData[SessionEndData](SessionEnd)
	RegisterData[FaultData](FaultArming, FaultArmed, FaultReverted, FaultExpired, FaultFailed, FaultToggle)
	RegisterData[Reading](ProbeWindow, ProbeBreach, ProbeRecovered, ProbeError)
	RegisterData[SwitchData](SentinelSwitch)
	RegisterData[SentinelEventData](SentinelEvent)
	RegisterData[NodeData](NodeUp, NodeDown)
	RegisterData[LeaderData](KafkaLeader)
	RegisterData[StepData](RunbookStep)
	RegisterData[VerdictData](RunbookVerdict)
	RegisterData[PersonData](SessionJoin, SessionLeave, SessionRole)
}
