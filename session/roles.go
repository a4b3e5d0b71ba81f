package session

import (
	"fmt"
	"strings"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/timeline"
)

// Role is what a person attached to a session may see and do.
type Role string

// The roles of a game day (facilitator, scribe, observer) and of a
// training drill (trainer, trainee).
const (
	// Facilitator arms and reverts faults, runs runbooks, writes notes and
	// hands the role over.
	Facilitator Role = "facilitator"
	// Scribe writes notes.
	Scribe Role = "scribe"
	// Observer watches.
	Observer Role = "observer"
	// Trainer runs a drill: everything a facilitator may, plus the drill's
	// hidden plan.
	Trainer Role = "trainer"
	// Trainee diagnoses a drill from the signals alone: they never receive
	// a fault event or anything naming the hidden fault. They write notes.
	Trainee Role = "trainee"
)

// Roles lists every role, in the order help and errors show them.
var Roles = []Role{Facilitator, Scribe, Observer, Trainer, Trainee}

// ParseRole reads a role name as a keys file or a flag gives it.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("role %q is not one of %s%s", s, strings.Join(names, ", "), yamldoc.DidYouMean(s, names))
}

// MayArm tells whether the role arms and reverts faults and runs runbooks.
func (r Role) MayArm() bool { return r == Facilitator || r == Trainer }

// MayNote tells whether the role writes notes onto the timeline.
func (r Role) MayNote() bool { return r != Observer }

// SeesFaults tells whether the role sees fault events, the armed faults
// and anything else that names a fault. Only trainees do not: in a drill,
// finding the fault is their job.
func (r Role) SeesFaults() bool { return r != Trainee }

// Person is someone attached to a session.
type Person struct {
	Name string
	Role Role
	// From is where they connect from ("" for the local screen).
	From string
	// Key is their public key's fingerprint, for the audit log; it is
	// never shown on a screen.
	Key string
}

// String renders the person as screens show them: "alice (facilitator)".
func (p Person) String() string { return p.Name + " (" + string(p.Role) + ")" }

// visible tells whether an event may reach the screen of p. A trainee's
// screen drops every fault event, every event that carries a fault's
// identity and the other trainees' declarations; the probes, Sentinel
// events, notes and presence stay, as a real on-call engineer would see
// them.
func visible(p Person, e timeline.Event) bool {
	if p.Role.SeesFaults() {
		return true
	}
	if strings.HasPrefix(string(e.Kind), "fault.") || !drills.ForTrainee(e, p.Name) {
		return false
	}
	_, names := e.UnknownData["fault_id"]
	return !names && e.Fault() == nil
}
