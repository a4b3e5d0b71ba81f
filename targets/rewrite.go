package targets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// ThresholdsAt names one probe's settings in the inventory: a service of
// a kind and its probe key ("latency", "lag", …) — for a prometheus
// service, the name of its query.
type ThresholdsAt struct {
	Kind, Service, Probe string
}

// String renders "redis/cache latency".
func (a ThresholdsAt) String() string { return a.Kind + "/" + a.Service + " " + a.Probe }

// ThresholdChange gives one probe new thresholds.
type ThresholdChange struct {
	At         ThresholdsAt
	Thresholds []string
}

// find returns the index of the service of a kind called name (-1: none)
// and its probes: map (nil for prometheus: its thresholds are its
// queries').
func (s *Services) find(kind, name string) (int, *Probes) {
	switch kind {
	case "kafka":
		return indexOf(s.Kafka, name, func(x *Kafka) (string, *Probes) { return x.Name, &x.Probes })
	case "cassandra":
		return indexOf(s.Cassandra, name, func(x *Cassandra) (string, *Probes) { return x.Name, &x.Probes })
	case "redis":
		return indexOf(s.Redis, name, func(x *Redis) (string, *Probes) { return x.Name, &x.Probes })
	case "prometheus":
		return indexOf(s.Prometheus, name, func(x *Prometheus) (string, *Probes) { return x.Name, nil })
	case "http":
		return indexOf(s.HTTP, name, func(x *HTTP) (string, *Probes) { return x.Name, &x.Probes })
	case "command":
		return indexOf(s.Command, name, func(x *Command) (string, *Probes) { return x.Name, &x.Probes })
	}
	return -1, nil
}

func indexOf[S any](list []S, name string, of func(*S) (string, *Probes)) (int, *Probes) {
	for i := range list {
		if n, p := of(&list[i]); n == name {
			return i, p
		}
	}
	return -1, nil
}

// locate finds a probe's settings: the indexes of its service (and query)
// and the path of its thresholds in the file.
func (inv *Inventory) locate(at ThresholdsAt) (i, j int, path []any, err error) {
	i, _ = inv.Services.find(at.Kind, at.Service)
	if i < 0 {
		return 0, 0, nil, fmt.Errorf("no %s service %q in the inventory", at.Kind, at.Service)
	}
	if at.Kind != "prometheus" {
		return i, 0, []any{"services", at.Kind, i, "probes", at.Probe, "thresholds"}, nil
	}
	for j, q := range inv.Services.Prometheus[i].Queries {
		if q.Name == at.Probe {
			return i, j, []any{"services", "prometheus", i, "queries", j, "thresholds"}, nil
		}
	}
	return 0, 0, nil, fmt.Errorf("prometheus service %q has no query %q", at.Service, at.Probe)
}

// SetThresholds sets a probe's thresholds in the decoded inventory (the
// file is EditThresholds' business), so that an inventory held in memory
// says what a rewritten file says.
func (inv *Inventory) SetThresholds(at ThresholdsAt, ts []string) error {
	i, j, _, err := inv.locate(at)
	if err != nil {
		return err
	}
	if at.Kind == "prometheus" {
		inv.Services.Prometheus[i].Queries[j].Thresholds = ts
		return nil
	}
	_, p := inv.Services.find(at.Kind, at.Service)
	if *p == nil {
		*p = Probes{}
	}
	pc := (*p)[at.Probe]
	pc.Thresholds = ts
	(*p)[at.Probe] = pc
	return nil
}

// CheckRewritable says, in one sentence, why the inventory at path cannot
// be rewritten in place (the file cannot be opened for writing, or no new
// file can be made beside it for the atomic replace and the backup), or
// nil. It writes nothing.
func CheckRewritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("%s cannot be rewritten: %w", path, unwrapPath(err))
	}
	f.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".check-*")
	if err != nil {
		return fmt.Errorf("%s cannot be rewritten: no new file can be made in %s (%w)", path, filepath.Dir(path), unwrapPath(err))
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// unwrapPath drops the *PathError's repetition of the path.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// EditThresholds returns the inventory file data (read from path) with
// new thresholds for some of its probes, edited in its text
// (yamldoc.SetList): comments, order, quoting, anchors and aliases stay as
// they were. The result is loaded again and must equal the old inventory
// with exactly those thresholds changed, else nothing is returned. A
// change that cannot be written is a Problem at the place in the file that
// stops it.
func EditThresholds(path string, data []byte, changes []ThresholdChange) ([]byte, error) {
	old, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	out := data
	for _, c := range changes {
		_, _, yp, err := old.locate(c.At)
		if err != nil {
			return nil, err
		}
		if out, err = yamldoc.SetList(out, yp, c.Thresholds); err != nil {
			var p yamldoc.Problem
			if errors.As(err, &p) {
				p.File = path
				p.Msg = "gameday cannot write the thresholds of " + c.At.String() + " here: " + p.Msg
				return nil, Problems{p}
			}
			return nil, fmt.Errorf("%s: cannot write the thresholds of %s: %w", path, c.At, err)
		}
	}
	got, err := Parse(path, out)
	if err != nil {
		return nil, fmt.Errorf("%s: the rewritten file would not load, so it was not written (a bug: please report it with the file): %w", path, err)
	}
	want, _ := Parse(path, data)
	for _, c := range changes {
		if err := want.SetThresholds(c.At, c.Thresholds); err != nil {
			return nil, err
		}
	}
	if !reflect.DeepEqual(withoutPositions(want), withoutPositions(got)) {
		return nil, fmt.Errorf("%s: the rewrite would change more than the thresholds, so it was not written (a bug: please report it with the file)", path)
	}
	return out, nil
}

// withoutPositions clears what only says where things are in the file.
func withoutPositions(inv *Inventory) *Inventory {
	for i := range inv.Services.Prometheus {
		for j := range inv.Services.Prometheus[i].Queries {
			inv.Services.Prometheus[i].Queries[j].Pos = Pos{}
		}
	}
	return inv
}
