package inject

import (
	"context"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// labClient adapts the lab's control API client to LabController.
type labClient struct{ c *labapi.Client }

// defaultLab returns the controller for the inventory's running lab.
func defaultLab(inv *targets.Inventory) LabController {
	if inv == nil || inv.Lab == nil || inv.Lab.Control == "" {
		return nil
	}
	return NewLabController(inv.Lab.Control, inv.Lab.Dir)
}

// NewLabController returns a LabController that talks to the lab control
// API at addr (host:port) of the lab whose dir is dir, where the lab keeps
// the token the API asks for. A ledger entry records both (LabControl,
// LabDir), so a revert from the ledger alone authenticates too.
func NewLabController(addr, dir string) LabController {
	return labClient{c: labapi.NewClient(addr, dir)}
}

// toActions turns plan steps into the API's actions. The lab runs every
// op but LabShell, which inject runs itself and never sends.
func toActions(steps []LabStep) []labapi.Action {
	out := make([]labapi.Action, 0, len(steps))
	for _, s := range steps {
		a := labapi.Action{Op: string(s.Op), Node: s.Node, Signal: s.Signal, Toxic: s.Toxic,
			Offset: s.Offset, Path: s.Path, Direction: s.Direction, Peers: s.Peers, Gone: s.Gone}
		if s.Check != nil {
			a.Check = &toActions([]LabStep{*s.Check})[0]
		}
		out = append(out, a)
	}
	return out
}

// Do runs steps through the lab and reports the first failed one.
func (l labClient) Do(ctx context.Context, keepGoing bool, steps ...LabStep) error {
	res, err := l.c.Do(ctx, keepGoing, toActions(steps)...)
	if err != nil {
		return err
	}
	return labapi.FirstError(res)
}

// ArmGuard arms a lab-held guard running steps after ttl.
func (l labClient) ArmGuard(ctx context.Context, id string, ttl time.Duration, steps ...LabStep) error {
	_, err := l.c.ArmGuard(ctx, id, ttl, toActions(steps)...)
	return err
}

// CancelGuard drops a lab-held guard.
func (l labClient) CancelGuard(ctx context.Context, id string) error {
	return l.c.CancelGuard(ctx, id)
}

// ArmFlap arms a lab-held guard that toggles the fault until ttl.
func (l labClient) ArmFlap(ctx context.Context, id string, ttl time.Duration, flap LabFlap, steps ...LabStep) error {
	_, err := l.c.Arm(ctx, labapi.Guard{ID: id, TTL: labapi.Duration(ttl), Actions: toActions(steps),
		Flap: &labapi.Flap{Cut: labapi.Duration(flap.Cut), Heal: labapi.Duration(flap.Heal), Inject: toActions(flap.Inject)}})
	return err
}

// StopFlap ends a lab-held guard's toggling.
func (l labClient) StopFlap(ctx context.Context, id string) error {
	return l.c.StopFlap(ctx, id)
}
