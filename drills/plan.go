package drills

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Plan is a drill's hidden plan: for every scenario, the candidate picked
// and the moment it is armed. It is a pure function of the drill and the
// seed (NewPlan), so a recorded seed re-runs a drill identically. The
// trainer sees it; trainees never receive it before the reveal.
type Plan struct {
	Drill string `json:"drill"`
	Seed  uint64 `json:"seed"`
	Picks []Pick `json:"picks"`
}

// Pick is one scenario's hidden choice.
type Pick struct {
	// Scenario is the scenario's index in the drill (0-based).
	Scenario int    `json:"scenario"`
	Name     string `json:"name,omitempty"`
	// Candidate is the index of the picked candidate, of Of.
	Candidate int               `json:"candidate"`
	Of        int               `json:"of"`
	Kind      string            `json:"kind"`
	Hosts     []string          `json:"hosts"` // selectors, as written
	Params    map[string]string `json:"params,omitempty"`
	IKnow     bool              `json:"i_know,omitempty"`
	// ArmAfter is when the fault is armed, counted from the scenario's
	// start; Lasts is how long it then stays; TTL is its hosts' guard.
	ArmAfter Millis `json:"arm_after_ms"`
	Lasts    Millis `json:"lasts_ms"`
	TTL      Millis `json:"ttl_ms"`
}

// Millis is a duration kept in the journal as whole milliseconds.
type Millis int64

// D returns the duration.
func (m Millis) D() time.Duration { return time.Duration(m) * time.Millisecond }

func millis(d time.Duration) Millis { return Millis(d / time.Millisecond) }

// NewPlan picks, for each scenario in order, one candidate and an arming
// moment inside its window (whole seconds), from seed alone.
func NewPlan(dr *Drill, seed uint64) Plan {
	// PCG is specified bit for bit, so a seed means the same plan on
	// every platform and Go release.
	rng := rand.New(rand.NewPCG(seed, 0x6761_6d65_6461_79)) // "gameday"
	p := Plan{Drill: dr.Name, Seed: seed}
	for i, s := range dr.Scenarios {
		c := rng.IntN(len(s.Candidates))
		span := int64((s.Window.To - s.Window.From) / time.Second)
		at := s.Window.From + time.Duration(rng.Int64N(span+1))*time.Second
		cand := s.Candidates[c]
		p.Picks = append(p.Picks, Pick{
			Scenario: i, Name: s.Name, Candidate: c, Of: len(s.Candidates),
			Kind: cand.Kind, Hosts: append([]string(nil), cand.Hosts...), Params: maps.Clone(cand.Params), IKnow: cand.IKnow,
			ArmAfter: millis(at), Lasts: millis(s.Lasts), TTL: millis(s.TTL),
		})
	}
	return p
}

// String renders the plan as the trainer's screen lists it, one line per
// scenario.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "drill %s, seed %d\n", p.Drill, p.Seed)
	for _, k := range p.Picks {
		fmt.Fprintf(&b, "%s: %s — armed %s after its start for %s (candidate %d of %d)\n",
			k.Label(), k.Fault(), k.ArmAfter.D(), k.Lasts.D(), k.Candidate+1, k.Of)
	}
	return b.String()
}

// Label names the scenario: "scenario 2 (broker trouble)".
func (k Pick) Label() string {
	return scenarioLabel(k.Scenario, k.Name)
}

// Fault describes the picked fault: "latency on role:master (delay=300ms)".
func (k Pick) Fault() string {
	return describeFault(k.Kind, k.Hosts, k.Params)
}

func scenarioLabel(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("scenario %d", i+1)
	}
	return fmt.Sprintf("scenario %d (%s)", i+1, name)
}

func describeFault(kind string, hosts []string, params map[string]string) string {
	s := kind + " on " + strings.Join(hosts, ", ")
	if len(params) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(params)) {
			kv = append(kv, k+"="+params[k])
		}
		s += " (" + strings.Join(kv, ", ") + ")"
	}
	return s
}
