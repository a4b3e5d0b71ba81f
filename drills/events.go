package drills

import (
	"strings"

	"github.com/gameday-dev/gameday/timeline"
)

// The kinds of the events a drill records. A screen shows trainees only
// what ForTrainee lets through.
const (
	// KindStart begins a drill: what everyone may know (StartData).
	KindStart timeline.Kind = "drill.start"
	// KindPlan is the hidden plan, seed included (Plan): trainer only.
	KindPlan timeline.Kind = "drill.plan"
	// KindScenario is a scenario's phase — begin, armed, failed, end
	// (ScenarioData): trainer only, since it names the fault.
	KindScenario timeline.Kind = "drill.scenario"
	// KindDiagnosis is a trainee's diagnosis: hosts, fault kind, free text
	// (DiagnosisData).
	KindDiagnosis timeline.Kind = "drill.diagnosis"
	// KindMitigated is a trainee's "mitigated", with the action taken
	// (MitigatedData).
	KindMitigated timeline.Kind = "drill.mitigated"
	// KindConfirmed is the trainer's confirmation of a trainee's
	// mitigation, which ends the scenario and reverts its fault
	// (ConfirmedData): trainer only until the reveal.
	KindConfirmed timeline.Kind = "drill.confirmed"
	// KindEnd ends the drill and reveals the plan and what was armed
	// (EndData): every screen gets it.
	KindEnd timeline.Kind = "drill.end"
)

// The phases of a scenario (ScenarioData.Phase).
const (
	PhaseBegin  = "begin"  // the scenario's clock starts: the window counts from here
	PhaseArmed  = "armed"  // its fault is armed (verified)
	PhaseFailed = "failed" // its fault could not be armed; the drill goes on
	PhaseEnd    = "end"    // its fault is reverted (or was never armed)
)

// Why a scenario ended (ScenarioData.Reason).
const (
	EndTimeUp     = "time up"   // Lasts passed without a confirmed mitigation
	EndMitigated  = "mitigated" // the trainer confirmed a trainee's mitigation
	EndStopped    = "stopped"   // the drill was stopped
	EndNotArmed   = "not armed" // arming failed
	EndRevertFail = "revert failed"
)

// StartData is the Data of drill.start.
type StartData struct {
	Drill     string   `json:"drill"`
	Briefing  string   `json:"briefing,omitempty"`
	Probes    []string `json:"probes,omitempty"`
	Scenarios int      `json:"scenarios"`
	Trainer   string   `json:"trainer,omitempty"`
}

// ScenarioData is the Data of drill.scenario.
type ScenarioData struct {
	Scenario int    `json:"scenario"` // 0-based
	Name     string `json:"name,omitempty"`
	Phase    string `json:"phase"`
	// The fault, from PhaseArmed on: its ID and what the ledger armed
	// (hosts resolved from the selectors at that moment).
	FaultID string            `json:"fault_id,omitempty"`
	Kind    string            `json:"kind,omitempty"`
	Hosts   []string          `json:"hosts,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	// Reason says why the scenario ended (PhaseEnd); Error why arming or
	// reverting failed.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// DiagnosisData is the Data of drill.diagnosis.
type DiagnosisData struct {
	Person string   `json:"person"`
	Hosts  []string `json:"hosts,omitempty"`
	Kind   string   `json:"kind,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// MitigatedData is the Data of drill.mitigated.
type MitigatedData struct {
	Person string `json:"person"`
	Action string `json:"action,omitempty"`
}

// ConfirmedData is the Data of drill.confirmed.
type ConfirmedData struct {
	Person   string `json:"person"` // the trainee whose mitigation it confirms
	By       string `json:"by"`     // the trainer
	Scenario int    `json:"scenario"`
	FaultID  string `json:"fault_id,omitempty"`
}

// EndData is the Data of drill.end: the reveal.
type EndData struct {
	Drill  string `json:"drill"`
	Reason string `json:"reason"`
	Plan   Plan   `json:"plan"`
}

func init() {
	// Typed payloads: after Recorder.Record, and in events read back from
	// a journal, Data is a pointer to these.
	timeline.RegisterData[StartData](KindStart)
	timeline.RegisterData[Plan](KindPlan)
	timeline.RegisterData[ScenarioData](KindScenario)
	timeline.RegisterData[DiagnosisData](KindDiagnosis)
	timeline.RegisterData[MitigatedData](KindMitigated)
	timeline.RegisterData[ConfirmedData](KindConfirmed)
	timeline.RegisterData[EndData](KindEnd)
}

// payload returns e's Data as a *T: the typed payload, or (for an event
// built without going through a Recorder) a decoded copy; nil if it
// holds something else.
func payload[T any](e timeline.Event) *T {
	if p := timeline.DataAs[T](e); p != nil {
		return p
	}
	var v T
	if e.Data == nil && len(e.UnknownData) == 0 || e.Decode(&v) != nil {
		return nil
	}
	return &v
}

// Secret tells whether e names a drill's hidden fault or judges a
// declaration: the plan, a scenario's phases, a confirmation, a fault.*
// event. No trainee's screen may receive it before the reveal, whoever
// they are.
func Secret(e timeline.Event) bool {
	switch e.Kind {
	case KindPlan, KindScenario, KindConfirmed:
		return true
	}
	return strings.HasPrefix(string(e.Kind), "fault.")
}

// ForTrainee tells whether a drill event e may reach the screen of
// trainee person: not the plan, a scenario's phases or a confirmation
// (they name the fault or tell a right answer from a wrong one), not
// another trainee's declarations (each trainee is scored on their own),
// and no fault.* event — until drill.end, which reveals everything and is
// shown to all. Other events pass: the probes, Sentinel events, notes and
// the drill's start are what an on-call engineer would see (the session
// still drops any other event that names a fault). It decodes only
// declarations, so it is cheap on the probes' stream.
func ForTrainee(e timeline.Event, person string) bool {
	switch e.Kind {
	case KindDiagnosis:
		d := payload[DiagnosisData](e)
		return d != nil && d.Person == person
	case KindMitigated:
		d := payload[MitigatedData](e)
		return d != nil && d.Person == person
	}
	return !Secret(e)
}
