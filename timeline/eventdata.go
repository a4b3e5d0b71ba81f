package timeline

// FaultData is the Data of fault.arming, fault.armed, fault.reverted,
// fault.expired and fault.failed events, as the report reads it. Producers
// attach it with Event.WithData so that every event of one fault carries the
// same fault_id.
type FaultData struct {
	FaultID string            `json:"fault_id"`
	Kind    string            `json:"kind"`             // fault kind: "latency", "process-kill", …
	Hosts   []string          `json:"hosts"`            // inventory host names
	Params  map[string]string `json:"params,omitempty"` // no secrets: they are dropped anyway
	Error   string            `json:"error,omitempty"`  // fault.failed only
}

// Verdicts a runbook.verdict event carries in Data["verdict"].
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

// VerdictData is the Data of a runbook.verdict event.
type VerdictData struct {
	Verdict    string            `json:"verdict"` // VerdictHeld, VerdictDeviated or VerdictAborted
	Runbook    string            `json:"runbook,omitempty"`
	Reason     string            `json:"reason,omitempty"` // why it deviated or aborted, one line
	Conditions []ConditionResult `json:"conditions,omitempty"`
}
