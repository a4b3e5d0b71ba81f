package runbooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
)

// Check verifies the runbook against the inventory it will run on and the
// probes that inventory gives (as probes.Set.Probes lists them): every host
// selector of an inject step matches hosts, and every probe the runbook
// names is one that will report. A runbook that passes Load can still name
// a host another inventory lacks; this finds it before any fault is armed.
// The error is a targets.Problems naming every problem by file, line and
// field.
func (rb *Runbook) Check(inv *targets.Inventory, probes []ProbeKey) error {
	c := checker{rb: rb, inv: inv, probes: probes}
	for _, h := range rb.Hypothesis {
		c.probe(h)
	}
	for _, a := range rb.Abort {
		c.probe(a.Condition)
	}
	for _, list := range [][]Step{rb.Steps, rb.Rollback} {
		for _, s := range list {
			c.step(s)
		}
	}
	if len(c.probs) > 0 {
		return c.probs.Sorted()
	}
	return nil
}

type checker struct {
	rb     *Runbook
	inv    *targets.Inventory
	probes []ProbeKey
	probs  targets.Problems
}

func (c *checker) fail(pos targets.Pos, field, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.rb.origin != nil {
		msg += c.rb.origin(pos, field)
	}
	c.probs = append(c.probs, targets.Problem{File: c.rb.Path, Pos: pos, Field: field, Msg: msg})
}

func (c *checker) step(s Step) {
	if s.Expect != nil {
		c.probe(s.Expect.Condition)
	}
	for _, a := range s.Allow {
		c.probeName(a.Pos, a.field, a.Probe, a.Target)
	}
	if s.Inject == nil {
		return
	}
	for i, sel := range s.Inject.Hosts {
		if roles.Dynamic(sel) {
			if len(c.inv.Services.Redis) > 0 {
				continue // resolved from Sentinel's view when the step runs
			}
		}
		if _, err := c.inv.Select(sel); err != nil {
			pos := s.Pos
			if i < len(s.Inject.hostPos) {
				pos = s.Inject.hostPos[i]
			}
			c.fail(pos, yamldoc.Index(s.field+".inject.hosts", i), "%v", err)
		}
	}
}

func (c *checker) probe(cond Condition) {
	c.probeName(cond.Pos, cond.field, cond.Probe, cond.Target)
}

// probeName checks that probe (on target, when given) will report.
func (c *checker) probeName(pos targets.Pos, field, probe, target string) {
	if len(c.probes) == 0 {
		return
	}
	var names, targetsOf []string
	for _, k := range c.probes {
		if !slices.Contains(names, k.Probe) {
			names = append(names, k.Probe)
		}
		if k.Probe == probe {
			targetsOf = append(targetsOf, k.Target)
		}
	}
	switch {
	case len(targetsOf) == 0:
		c.fail(pos, field, "this inventory has no probe %q%s (its probes: %s)", probe, yamldoc.DidYouMean(probe, names), strings.Join(names, ", "))
	case target != "" && !slices.Contains(targetsOf, target):
		c.fail(pos, field, "probe %s has no target %q%s (its targets: %s)", probe, target, yamldoc.DidYouMean(target, targetsOf), strings.Join(targetsOf, ", "))
	}
}
