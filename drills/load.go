package drills

import (
	"time"

	"github.com/gameday-dev/gameday/internal/faultspec"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
)

var format = yamldoc.Format{Name: "drill", Needs: "name, briefing and scenarios"}

// Load reads and validates the drill file at path, with its variables (if
// it declares any under vars:) set from vars over their defaults. A bad
// file yields a targets.Problems error naming every problem as
// "file:line:col: field: message", as runbooks and inventories do.
func Load(path string, vars ...yamldoc.Var) (*Drill, error) {
	return yamldoc.Read(path, format, func(doc *yamldoc.Doc) (*Drill, error) { return decode(doc, vars) })
}

// Parse validates data as a drill file; name is the file name used in
// messages and kept as the drill's Path.
func Parse(name string, data []byte, vars ...yamldoc.Var) (*Drill, error) {
	return decode(yamldoc.Parse(name, data, format), vars)
}

// The shapes of a drill file, as written.
type (
	drillDoc struct {
		Name      string          `yaml:"name"`
		Briefing  string          `yaml:"briefing"`
		Vars      *yamldoc.Node   `yaml:"vars"` // read by yamldoc's Expand
		Probes    []string        `yaml:"probes"`
		Scenarios []*yamldoc.Node `yaml:"scenarios"`
	}
	scenarioDoc struct {
		Name       string          `yaml:"name"`
		Window     *Window         `yaml:"window"`
		Lasts      time.Duration   `yaml:"lasts"`
		TTL        time.Duration   `yaml:"ttl"`
		Candidates []*yamldoc.Node `yaml:"candidates"`
	}
)

func decode(doc *yamldoc.Doc, given []yamldoc.Var) (*Drill, error) {
	if doc.Root == nil {
		return nil, doc.Err()
	}
	vars := doc.Expand(given)
	doc.Hooks = map[string]yamldoc.Hook{"selector": targets.DecodeSelector}
	d := decoder{doc}
	dr := d.drill(doc.Root)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	dr.Vars, dr.origin = yamldoc.Settings(vars), doc.Origin
	return dr, nil
}

// decoder reads a drill from its document, recording every problem on
// the document and going on, so that one load names them all.
type decoder struct{ *yamldoc.Doc }

func (d decoder) drill(root *yamldoc.Node) *Drill {
	var raw drillDoc
	d.Decode(root, &raw, "")
	if d.Failed("") {
		return nil
	}
	dr := &Drill{Path: d.File, Name: raw.Name, Briefing: raw.Briefing, Probes: raw.Probes}
	if dr.Name == "" {
		d.Add("name", "missing; every drill needs a name for its screens and report")
	}
	if dr.Briefing == "" {
		d.Add("briefing", "missing; tell the trainees what they are on call for")
	}
	for i, p := range raw.Probes {
		field := yamldoc.Index("probes", i)
		if p == "" {
			d.Add(field, "must not be empty")
		}
		dr.probePos = append(dr.probePos, d.PosOf(field))
	}
	for i, n := range raw.Scenarios {
		dr.Scenarios = append(dr.Scenarios, d.scenario(n, yamldoc.Index("scenarios", i)))
	}
	if len(raw.Scenarios) == 0 {
		d.Add("scenarios", "needs at least one scenario: the faults to pick from and when to arm one")
	}
	return dr
}

func (d decoder) scenario(n *yamldoc.Node, field string) Scenario {
	s := Scenario{Pos: n.Pos, field: field}
	var raw scenarioDoc
	d.Decode(n, &raw, field)
	if d.Failed(field) {
		return s
	}
	s.Name, s.Lasts, s.TTL = raw.Name, raw.Lasts, raw.TTL
	window := yamldoc.Join(field, "window")
	switch w := raw.Window; {
	case w == nil:
		d.Add(window, "missing; say when to arm the fault, such as {from: 1m, to: 4m} after the scenario starts")
	case n.Lookup("window").Lookup("to") == nil:
		d.Add(yamldoc.Join(window, "to"), "missing; the latest moment to arm the fault, such as 4m")
	case w.To < w.From:
		d.Add(yamldoc.Join(window, "to"), "%s is before from (%s)", w.To, w.From)
	default:
		s.Window = *w
	}
	lasts := yamldoc.Join(field, "lasts")
	switch {
	case n.Lookup("lasts") == nil:
		s.Lasts = DefaultLasts
	case s.Lasts <= 0:
		d.Add(lasts, "want a duration longer than 0, such as 5m")
	}
	ttl := yamldoc.Join(field, "ttl")
	switch {
	case n.Lookup("ttl") == nil:
		s.TTL = s.Lasts + TTLMargin
	case s.TTL <= s.Lasts && !d.Failed(lasts):
		d.Add(ttl, "%s is not longer than lasts (%s): the hosts' guards would revert the fault before the scenario ends", s.TTL, s.Lasts)
	}
	for i, c := range raw.Candidates {
		s.Candidates = append(s.Candidates, d.candidate(c, yamldoc.Index(yamldoc.Join(field, "candidates"), i)))
	}
	if len(raw.Candidates) == 0 {
		d.Add(yamldoc.Join(field, "candidates"), "needs at least one fault to pick from")
	}
	return s
}

func (d decoder) candidate(n *yamldoc.Node, field string) Candidate {
	c := Candidate{Pos: n.Pos, field: field}
	d.Decode(n, &c, field)
	c.Pos, c.field = n.Pos, field
	if d.Failed(field) {
		return c
	}
	c.hostPos = faultspec.Check(d.Doc, n, field, faultspec.Spec{Kind: c.Kind, Hosts: c.Hosts, Params: c.Params})
	return c
}
