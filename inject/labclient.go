package inject

import (
	"context"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
)

// labClient adapts the lab's control API client to LabController.
type labClient struct{ c *lab.Client }

// defaultLab returns the controller for the inventory's running lab.
func defaultLab(inv *targets.Inventory) LabController {
	c, err := lab.ClientFor(inv)
	if err != nil {
		return nil
	}
	return labClient{c: c}
}

// NewLabController returns a LabController that talks to the lab control
// API at addr (host:port).
func NewLabController(addr string) LabController { return labClient{c: lab.NewClient(addr)} }

func toActions(steps []LabStep) []lab.Action {
	out := make([]lab.Action, 0, len(steps))
	for _, s := range steps {
		a := lab.Action{Op: string(s.Op), Node: s.Node, Signal: s.Signal, Offset: s.Offset, Path: s.Path,
			Direction: s.Direction, Peers: s.Peers}
		if s.Toxic != nil {
			t := &lab.Toxic{Name: s.Toxic.Name, Type: s.Toxic.Type, Stream: s.Toxic.Stream, Toxicity: s.Toxic.Toxicity}
			if len(s.Toxic.Attributes) > 0 {
				t.Attributes = map[string]any{}
				for k, v := range s.Toxic.Attributes {
					t.Attributes[k] = v
				}
			}
			a.Toxic = t
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
	return lab.FirstError(res)
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
