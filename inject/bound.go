package inject

import (
	"encoding/json"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// slowStepper is an executor some of whose steps may take longer than a
// host's usual bound: the lab's start of a JVM node returns once the
// node's log says it is ready, which takes minutes on a loaded machine,
// where an SSH step takes seconds.
type slowStepper interface {
	// StepBound is how long s may take on h beyond the host's usual
	// bound; 0 for a step no slower than any other.
	StepBound(h targets.Host, s Step) time.Duration
}

// hostPart is one host's part of an arm or a revert, as its bound sees it.
type hostPart struct {
	exec Executor
	// at names the executor and where it reaches (execKey).
	at    string
	host  targets.Host
	steps []Step
}

// hostBounds returns the bound of each part: the Manager's host bound
// plus the StepBound of every slow step of the parts that the same
// executor runs at the same place — the lab runs one action at a time,
// so one node's start may wait for another's. Every bound is finite, so a
// hung host never blocks an arm or a revert for ever; a Manager without a
// host bound (0) leaves it to the caller's context.
func (m *Manager) hostBounds(parts []hostPart) func(i int) time.Duration {
	if m.hostTimeout <= 0 {
		return nil
	}
	extra := map[string]time.Duration{}
	for _, p := range parts {
		if s, ok := p.exec.(slowStepper); ok {
			for _, st := range p.steps {
				extra[p.at] += s.StepBound(p.host, st)
			}
		}
	}
	return func(i int) time.Duration { return m.hostTimeout + extra[parts[i].at] }
}

// parts returns p's hosts' parts made of the steps that steps picks.
func (p *plan) parts(steps func(hostPlan) []Step) []hostPart {
	out := make([]hostPart, len(p.hosts))
	for i, hp := range p.hosts {
		out[i] = hostPart{exec: hp.exec, at: execKey(hp.def.name, hp.exec.Via()), host: hp.host, steps: steps(hp)}
	}
	return out
}

// execKey names executor name as it reaches via: one key per place, as
// the Manager caches executors and the ledger records them.
func execKey(name string, via map[string]string) string {
	if len(via) == 0 {
		return name
	}
	b, _ := json.Marshal(via) // sorted keys
	return name + " " + string(b)
}
