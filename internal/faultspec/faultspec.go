// Package faultspec checks a fault as a file writes it — a kind, host
// selectors and parameters — the one way for every format that names
// faults (runbook inject steps, drill candidates): the kind must be a
// registered one, the parameters must parse as that kind's, and there must
// be hosts. Problems go on the file's yamldoc.Doc at the offending value.
package faultspec

import (
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
)

// Spec is a fault as written in a file.
type Spec struct {
	Kind   string
	Hosts  []string
	Params map[string]string
}

// Check records on d every problem of spec, written as the mapping n at
// field, and returns where each host selector is written (for problems
// found later, against an inventory).
func Check(d *yamldoc.Doc, n *yamldoc.Node, field string, spec Spec) []targets.Pos {
	kind := yamldoc.Join(field, "kind")
	switch kinds := KindNames(); {
	case spec.Kind == "":
		d.Add(kind, "missing; name the fault kind, such as latency")
	case len(kinds) > 0 && !slices.Contains(kinds, spec.Kind):
		d.Add(kind, "unknown fault kind %q%s", spec.Kind, yamldoc.DidYouMean(spec.Kind, kinds))
	case len(kinds) > 0:
		// The fault kind's own parser names the bad parameter; checking now
		// spares a game day that stops half-way on a typo.
		if _, err := inject.ParseFault(spec.Kind, spec.Params); err != nil {
			d.At(paramPos(n, spec.Kind, err), yamldoc.Join(field, "params"), "%s", err)
		}
	}
	hosts := yamldoc.Join(field, "hosts")
	if len(spec.Hosts) == 0 {
		d.Add(hosts, "missing; name at least one host, tag:TAG or role:ROLE")
	}
	var pos []targets.Pos
	for i, h := range spec.Hosts {
		if h == "" {
			d.Add(yamldoc.Index(hosts, i), "must not be empty")
		}
		pos = append(pos, d.PosOf(yamldoc.Index(hosts, i)))
	}
	return pos
}

// paramPos is where the parameter a fault kind's error names is written
// (inject words them "KIND: param NAME: …"), so that a bad value is shown
// where it is, and named when a variable made it; else the params'
// position.
func paramPos(n *yamldoc.Node, kind string, err error) yamldoc.Pos {
	params := n.Lookup("params")
	if params == nil {
		return n.Pos
	}
	for _, e := range params.Entries {
		if strings.HasPrefix(err.Error(), kind+": param "+e.Key+":") {
			return e.Value.Pos
		}
	}
	return params.Pos
}

// KindNames lists the registered fault kinds (empty while none are).
func KindNames() []string {
	var names []string
	for _, k := range inject.Kinds() {
		names = append(names, k.Name)
	}
	return names
}
