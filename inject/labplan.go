package inject

import (
	"fmt"
	"strings"

	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// LabOp names an action of the lab's control API (or, for LabShell, a
// script inject runs itself on this machine, where every lab node lives).
type LabOp string

// Lab operations a plan can use: the control API's ops (labapi), plus
// LabShell.
const (
	LabSignal      LabOp = labapi.OpSignal      // Signal: KILL, STOP or CONT to the node's process
	LabStart       LabOp = labapi.OpStart       // start the node's process again
	LabStop        LabOp = labapi.OpStop        // stop the node's process
	LabToxicAdd    LabOp = labapi.OpToxicAdd    // add Toxic to the node's proxy
	LabToxicRemove LabOp = labapi.OpToxicRemove // remove the toxic named Toxic.Name
	LabCut         LabOp = labapi.OpCut         // close the node's proxy (or refuse Peers, one Direction), or make a kfake broker unreachable
	LabHeal        LabOp = labapi.OpHeal        // undo LabCut (same Direction and Peers)
	LabFaketime    LabOp = labapi.OpFaketime    // set the node's libfaketime offset
	LabRemoveFile  LabOp = labapi.OpRemoveFile  // remove Path (a gameday-owned file)
	LabCheck       LabOp = labapi.OpCheck       // Check's effect is in place (gone, with Gone); changes nothing
	LabShell       LabOp = "shell"              // run Script locally with sh -c
)

// LabToxic is a Toxiproxy toxic as a lab plan adds it: the control API's
// own type, so a ledger entry holds exactly what the lab is sent.
type LabToxic = labapi.Toxic

// LabStep is one action of a lab plan, serialisable into the ledger so that a
// later process can revert it.
type LabStep struct {
	Op     LabOp     `json:"op"`
	Node   string    `json:"node"`
	Signal string    `json:"signal,omitempty"`
	Toxic  *LabToxic `json:"toxic,omitempty"`
	// Offset is the faketime offset ("+30s", "-2m", "+0").
	Offset string `json:"offset,omitempty"`
	Path   string `json:"path,omitempty"`
	Script string `json:"script,omitempty"`
	// Direction ("in", "out" or "both") and Peers (lab node names) narrow
	// LabCut and LabHeal: "in" refuses traffic to the node, "out" traffic
	// from it; no peers means every peer (and, for "in", every client).
	Direction string   `json:"direction,omitempty"`
	Peers     []string `json:"peers,omitempty"`
	// Check and Gone are for LabCheck: the step whose effect is checked,
	// and whether it must be gone rather than in place.
	Check *LabStep `json:"check,omitempty"`
	Gone  bool     `json:"gone,omitempty"`
}

// String renders the step as the dry run shows it.
func (s LabStep) String() string {
	if s.Op == LabCheck && s.Check != nil {
		if s.Gone {
			return "lab check gone: " + strings.TrimPrefix(s.Check.String(), "lab ")
		}
		return "lab check in place: " + strings.TrimPrefix(s.Check.String(), "lab ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "lab %s %s", s.Op, s.Node)
	switch {
	case s.Signal != "":
		fmt.Fprintf(&b, " SIG%s", s.Signal)
	case s.Toxic != nil && s.Op == LabToxicAdd:
		fmt.Fprintf(&b, " %s %s %s toxicity=%g %v", s.Toxic.Name, s.Toxic.Type, s.Toxic.Stream, s.Toxic.Toxicity, s.Toxic.Attributes)
	case s.Toxic != nil:
		fmt.Fprintf(&b, " %s", s.Toxic.Name)
	case s.Offset != "":
		fmt.Fprintf(&b, " offset %s", s.Offset)
	case s.Path != "":
		fmt.Fprintf(&b, " %s", Quote(s.Path))
	case s.Script != "":
		fmt.Fprintf(&b, ": %s", s.Script)
	}
	if s.Direction != "" {
		fmt.Fprintf(&b, " direction %s", s.Direction)
	}
	if len(s.Peers) > 0 {
		fmt.Fprintf(&b, " peers %s", strings.Join(s.Peers, ","))
	}
	return b.String()
}

// LabPlan is a fault's plan for a lab node. The lab applies each action
// synchronously and reports failure, so the action's success is its verify;
// Revert actions are idempotent and are also what the lab's TTL guard runs.
type LabPlan struct {
	Inject []LabStep `json:"inject"`
	Revert []LabStep `json:"revert"`
}
