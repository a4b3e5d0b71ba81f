// Package drills knows on-call training drills: drill files (a briefing,
// the probes that matter, and scenarios of candidate faults armed at a
// hidden moment), the seeded plan that picks one candidate and one moment
// per scenario, the runner that arms and reverts the picked faults through
// the session's fault manager, the trainees' declarations as timeline
// events, and the score board computed from those events alone — so the
// live screen, the report and a replay show the same figures.
package drills

import (
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
)

// Defaults for fields a drill file may leave out.
const (
	// DefaultLasts is how long a scenario's fault stays armed when
	// nobody mitigates it.
	DefaultLasts = 5 * time.Minute
	// TTLMargin is how much longer than the scenario the host's guard
	// waits by default: the runner's own revert, which verifies, comes
	// first; the guard is for a gameday that died.
	TTLMargin = 2 * time.Minute
)

// Drill is a loaded, validated drill file.
type Drill struct {
	// Path is the file it was loaded from.
	Path string
	// Name labels the drill on screens, in the journal and the report.
	Name string
	// Briefing is what trainees are told at the start.
	Briefing string
	// Probes are the probes that matter for this drill (screens put them
	// first; the inventory must give them).
	Probes []string
	// Scenarios run one after another.
	Scenarios []Scenario
	// Vars are the drill's variables as this load set them.
	Vars []Var

	probePos []targets.Pos
	origin   func(pos targets.Pos, field string) string
}

// Var is one drill variable and the value it had for this load.
type Var = yamldoc.Setting

// Scenario is one incident of a drill: one of its candidates is armed at a
// moment inside Window, counted from the scenario's start (the drill's
// start, or the end of the scenario before), and reverted Lasts later,
// when the trainer confirms a trainee's mitigation, or when the drill
// stops, whichever comes first.
type Scenario struct {
	Name       string
	Window     Window
	Lasts      time.Duration
	TTL        time.Duration // the fault's guard on its hosts (> Lasts)
	Candidates []Candidate

	Pos   targets.Pos
	field string
}

// Window bounds the arming moment of a scenario.
type Window struct {
	From time.Duration `yaml:"from"`
	To   time.Duration `yaml:"to"`
}

// Candidate is one fault a scenario may arm.
type Candidate struct {
	Kind   string            `yaml:"kind"`
	Hosts  []string          `yaml:"hosts" yamldoc:"selector"`
	Params map[string]string `yaml:"params"`
	// IKnow lets this candidate take down a majority of a service, when
	// the trainer also passes --i-know.
	IKnow bool `yaml:"i-know"`

	Pos     targets.Pos `yaml:"-"`
	field   string
	hostPos []targets.Pos
}
