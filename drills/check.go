package drills

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
)

// HostResolver turns host selectors into inventory host names at the
// moment of the call ("role:master" is the master the Sentinels agree on
// now). runbooks.InventoryHosts is one.
type HostResolver interface {
	ResolveHosts(ctx context.Context, selectors []string) ([]string, error)
}

// Previewer plans a fault without arming it; *inject.Manager is one.
type Previewer interface {
	Preview(ctx context.Context, req inject.Request) (inject.Preview, error)
}

// Env is what a drill is checked against before it starts.
type Env struct {
	// Probes are the probes the inventory gives, as the session's probe
	// set lists them; empty skips the probe check.
	Probes []probes.Info
	// Hosts resolves every candidate's selectors.
	Hosts HostResolver
	// Faults plans every candidate, for its blast radius.
	Faults Previewer
	// IKnow is the trainer's --i-know: with i-know: true on a candidate,
	// it lets the drill take down a majority of a service.
	IKnow bool
}

// Check verifies the drill against the inventory it will run on: every
// probe it names is one the inventory gives, every candidate's hosts
// resolve and its plan can be made, and no candidate can take down a
// majority of a service's nodes (inject's blast radius) unless the
// candidate says i-know: true and the trainer passed --i-know. The error
// is a targets.Problems naming every problem by file, line and field.
func (dr *Drill) Check(ctx context.Context, env Env) error {
	var probs targets.Problems
	fail := func(pos targets.Pos, field, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if dr.origin != nil {
			msg += dr.origin(pos, field)
		}
		probs = append(probs, targets.Problem{File: dr.Path, Pos: pos, Field: field, Msg: msg})
	}
	var names []string
	for _, p := range env.Probes {
		if !slices.Contains(names, p.Probe) {
			names = append(names, p.Probe)
		}
	}
	for i, p := range dr.Probes {
		if len(names) > 0 && !slices.Contains(names, p) {
			fail(dr.probePos[i], yamldoc.Index("probes", i), "this inventory has no probe %q%s (its probes: %s)", p, yamldoc.DidYouMean(p, names), strings.Join(names, ", "))
		}
	}
	for _, s := range dr.Scenarios {
		for _, c := range s.Candidates {
			hosts, ok := c.resolve(ctx, env.Hosts, fail)
			if !ok {
				continue
			}
			pv, err := env.Faults.Preview(ctx, inject.Request{Kind: c.Kind, Hosts: hosts, Params: c.Params, TTL: s.TTL})
			switch {
			case err != nil:
				fail(c.Pos, c.field, "%v", err)
			case pv.Majority && !c.IKnow:
				fail(c.Pos, c.field, "%s on %s %s; a drill may do that only with i-know: true on the candidate and --i-know from the trainer",
					c.Kind, strings.Join(hosts, ", "), pv.BlastRadius)
			case pv.Majority && !env.IKnow:
				fail(c.Pos, c.field, "%s on %s %s; the file allows it (i-know: true), so the trainer must pass --i-know too",
					c.Kind, strings.Join(hosts, ", "), pv.BlastRadius)
			}
		}
	}
	if len(probs) > 0 {
		return probs.Sorted()
	}
	return nil
}

// resolve resolves the candidate's selectors one by one, so that a
// problem is reported where its selector is written.
func (c Candidate) resolve(ctx context.Context, r HostResolver, fail func(targets.Pos, string, string, ...any)) ([]string, bool) {
	var hosts []string
	ok := true
	for i, sel := range c.Hosts {
		got, err := r.ResolveHosts(ctx, []string{sel})
		if err != nil {
			fail(c.hostPos[i], yamldoc.Index(yamldoc.Join(c.field, "hosts"), i), "%v", err)
			ok = false
			continue
		}
		for _, h := range got {
			if !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
	}
	return hosts, ok
}
