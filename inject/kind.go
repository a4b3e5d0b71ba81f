package inject

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// Fault is one fault kind with its parameters parsed and validated. Each kind
// is a small struct that registers itself in init, the way Toxiproxy's
// toxics do.
type Fault interface {
	// Kind is the registered name ("latency").
	Kind() string
	// TakesDown reports whether the fault takes its hosts out of service,
	// which is what the blast-radius check counts.
	TakesDown() bool
	// ShellPlan returns the steps that inject, verify and revert the fault
	// on a host reached over SSH.
	ShellPlan(t PlanTarget) (ShellPlan, error)
	// LabPlan returns the lab control actions for a lab node.
	LabPlan(t PlanTarget) (LabPlan, error)
}

// PlanTarget is what a kind needs to know to plan for one host.
type PlanTarget struct {
	ID   string // fault ID
	Host targets.Host
	Inv  *targets.Inventory
	TTL  time.Duration
	// Control is gameday's own connection to the host, as the host sees
	// it, for a fault that must spare it (nil: nothing to spare).
	Control *ControlPath
}

// ControlPath is gameday's SSH connection as the faulted host sees it:
// the controller's address (Addr) and the host's SSH port (Port).
type ControlPath struct {
	Addr netip.Addr
	Port uint16
}

// ShellPlan is a fault's plan for a host that runs shell scripts (over
// SSH): every step is a script.
type ShellPlan = Steps

type kindDef struct {
	info  KindInfo
	parse func(p *params) (Fault, error)
	order int
}

var registry = map[string]kindDef{}

// register adds a kind to the palette. order fixes its palette position.
func register(order int, info KindInfo, parse func(p *params) (Fault, error)) {
	if _, dup := registry[info.Name]; dup {
		panic("inject: kind registered twice: " + info.Name)
	}
	registry[info.Name] = kindDef{info: info, parse: parse, order: order}
}

// Kinds lists the registered fault kinds in palette order.
func Kinds() []KindInfo {
	defs := make([]kindDef, 0, len(registry))
	for _, d := range registry {
		defs = append(defs, d)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].order < defs[j].order })
	out := make([]KindInfo, len(defs))
	for i, d := range defs {
		out[i] = d.info
	}
	return out
}

// ParseFault parses and validates the parameters of kind. Errors are one
// sentence naming the kind and the parameter.
func ParseFault(kind string, params map[string]string) (Fault, error) {
	d, ok := registry[kind]
	if !ok {
		names := make([]string, 0, len(registry))
		for _, k := range Kinds() {
			names = append(names, k.Name)
		}
		return nil, fmt.Errorf("unknown fault kind %q (known: %s)", oneLine(kind), strings.Join(names, ", "))
	}
	p := newParams(kind, params)
	f, err := d.parse(p)
	if err := p.done(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}
