package runbooks

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/internal/faultspec"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
)

// Defaults for fields a runbook may leave out.
const (
	DefaultSteadyFor     = 10 * time.Second
	DefaultSteadyTimeout = 2 * time.Minute
)

var (
	actions     = []Action{ActionWaitSteady, ActionInject, ActionHold, ActionRevert, ActionExpect, ActionNote}
	probeNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$`)
	format      = yamldoc.Format{Name: "runbook", Needs: "name, hypothesis and steps"}
)

// Load reads and validates the runbook at path, with its variables set
// from vars (--var, --var-file; later ones win) over the defaults of its
// vars: mapping. A bad file yields a targets.Problems error naming every
// problem as "file:line:col: field: message", as the inventory's loader
// does; a problem with a value made from a variable says which variable
// and where its value was set.
func Load(path string, vars ...yamldoc.Var) (*Runbook, error) {
	return yamldoc.Read(path, format, func(doc *yamldoc.Doc) (*Runbook, error) { return decode(doc, vars) })
}

// Parse validates data as a runbook. name is the file name used in
// messages and kept as the runbook's Path.
func Parse(name string, data []byte, vars ...yamldoc.Var) (*Runbook, error) {
	return decode(yamldoc.Parse(name, data, format), vars)
}

func decode(doc *yamldoc.Doc, given []yamldoc.Var) (*Runbook, error) {
	if doc.Root == nil {
		return nil, doc.Err()
	}
	// Variables are substituted in the tree before anything is decoded,
	// so their values meet the very checks literal values do.
	vars := doc.Expand(given)
	doc.Hooks = map[string]yamldoc.Hook{"selector": targets.DecodeSelector}
	d := &decoder{Doc: doc, injects: map[string]bool{}}
	rb := d.runbook(doc.Root)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	rb.Vars, rb.origin = yamldoc.Settings(vars), doc.Origin
	return rb, nil
}

// The shapes of a runbook's mappings, as written. A *yamldoc.Node field
// is one that takes several shapes ("a condition or a mapping"), read by
// the decoder's own code.
type (
	runbookDoc struct {
		Name        string          `yaml:"name"`
		Description string          `yaml:"description"`
		Vars        *yamldoc.Node   `yaml:"vars"` // read by yamldoc's Expand
		Hypothesis  []*yamldoc.Node `yaml:"hypothesis"`
		Abort       []*yamldoc.Node `yaml:"abort"`
		Steps       []*yamldoc.Node `yaml:"steps"`
		Rollback    []*yamldoc.Node `yaml:"rollback"`
	}
	conditionDoc struct {
		Probe     string `yaml:"probe"`
		Condition string `yaml:"condition"`
		Target    string `yaml:"target"`
	}
	abortDoc struct {
		Probe     string        `yaml:"probe"`
		Condition string        `yaml:"condition"`
		Target    string        `yaml:"target"`
		For       time.Duration `yaml:"for"`
	}
	expectDoc struct {
		Probe     string        `yaml:"probe"`
		Condition string        `yaml:"condition"`
		Target    string        `yaml:"target"`
		Within    time.Duration `yaml:"within"`
	}
	stepDoc struct {
		WaitSteady *yamldoc.Node `yaml:"wait-steady"`
		Inject     Inject        `yaml:"inject"`
		Hold       time.Duration `yaml:"hold"`
		Revert     string        `yaml:"revert"`
		Expect     *yamldoc.Node `yaml:"expect"`
		Note       string        `yaml:"note"`
		Allow      *yamldoc.Node `yaml:"allow"`
	}
)

// decoder reads a runbook from its document, recording every problem on
// the document and going on, so that one load names them all.
type decoder struct {
	*yamldoc.Doc
	// hypothesis holds the probes the hypothesis checks, so that
	// allowances can be checked against it; injects the names of the
	// inject steps so far, for reverts.
	hypothesis map[string]bool
	injects    map[string]bool
}

func (d *decoder) runbook(root *yamldoc.Node) *Runbook {
	var raw runbookDoc
	d.Decode(root, &raw, "")
	if d.Failed("") {
		return nil
	}
	rb := &Runbook{Path: d.File, Name: raw.Name, Description: raw.Description}
	if rb.Name == "" {
		d.Add("name", "missing; every runbook needs a name for its reports")
	}
	d.hypothesis = map[string]bool{}
	for i, n := range raw.Hypothesis {
		c := d.condition(n, yamldoc.Index("hypothesis", i), useHypothesis)
		rb.Hypothesis = append(rb.Hypothesis, c)
		d.hypothesis[c.Probe] = true
	}
	if len(rb.Hypothesis) == 0 {
		d.Add("hypothesis", "needs at least one steady-state condition, such as \"redis.latency p99 < 50ms\"")
	}
	for i, n := range raw.Abort {
		rb.Abort = append(rb.Abort, d.abort(n, yamldoc.Index("abort", i)))
	}
	for i, n := range raw.Steps {
		rb.Steps = append(rb.Steps, d.step(n, yamldoc.Index("steps", i), true))
	}
	if len(rb.Steps) == 0 {
		d.Add("steps", "needs at least one step")
	}
	for i, n := range raw.Rollback {
		rb.Rollback = append(rb.Rollback, d.step(n, yamldoc.Index("rollback", i), false))
	}
	return rb
}

// condition reads "PROBE THRESHOLD" or {probe, condition, target}.
func (d *decoder) condition(n *yamldoc.Node, field string, use exprUse) Condition {
	if text, ok := colonCondition(n); ok {
		probe, cond, _ := strings.Cut(text, " ")
		return d.probeCondition(n.Pos, field, probe, "", cond, use)
	}
	if n.IsScalar() {
		probe, cond, _ := strings.Cut(strings.TrimSpace(n.Text), " ")
		return d.probeCondition(n.Pos, field, probe, "", cond, use)
	}
	var c conditionDoc
	d.Decode(n, &c, field)
	d.required(c, field)
	return d.probeCondition(n.Pos, field, c.Probe, c.Target, c.Condition, use)
}

// required checks the fields every condition written as a mapping needs.
func (d *decoder) required(c conditionDoc, field string) {
	if c.Probe == "" {
		d.Add(yamldoc.Join(field, "probe"), "missing; name the probe, such as redis.latency")
	}
	if c.Condition == "" {
		d.Add(yamldoc.Join(field, "condition"), "missing; write a threshold such as \"p99 < 50ms\"")
	}
}

// colonCondition recognises "- sentinel.master master: stable" written
// without quotes, which YAML reads as a one-key mapping, and returns it as
// the text the author meant.
func colonCondition(n *yamldoc.Node) (string, bool) {
	if n.Kind != yamldoc.Mapping || len(n.Entries) != 1 || !strings.Contains(n.Entries[0].Key, " ") || !n.Entries[0].Value.IsScalar() {
		return "", false
	}
	return n.Entries[0].Key + ": " + n.Entries[0].Value.Text, true
}

// abort reads "PROBE THRESHOLD [for D]" or {probe, condition, target, for}.
func (d *decoder) abort(n *yamldoc.Node, field string) AbortCondition {
	if !n.IsScalar() {
		var a abortDoc
		d.Decode(n, &a, field)
		d.required(conditionDoc{a.Probe, a.Condition, a.Target}, field)
		return AbortCondition{Condition: d.probeCondition(n.Pos, field, a.Probe, a.Target, a.Condition, useAbort), For: a.For}
	}
	var a AbortCondition
	s := strings.TrimSpace(n.Text)
	if i := strings.LastIndex(s, " for "); i >= 0 {
		v, err := time.ParseDuration(strings.TrimSpace(s[i+5:]))
		if err != nil || v <= 0 {
			d.At(n.Pos, field, "%q after \"for\" is not a positive duration such as 20s", strings.TrimSpace(s[i+5:]))
		}
		a.For, s = v, s[:i]
	}
	probe, cond, _ := strings.Cut(s, " ")
	a.Condition = d.probeCondition(n.Pos, field, probe, "", cond, useAbort)
	return a
}

func (d *decoder) probeCondition(pos yamldoc.Pos, field, probe, target, cond string, use exprUse) Condition {
	c := Condition{Probe: probe, Target: target, Pos: pos, field: field}
	if d.Failed(field) {
		return c
	}
	if !probeNameRE.MatchString(probe) {
		d.At(pos, field, "%q is not a probe name such as redis.latency%s", probe, d.partOrigin(field, "probe"))
		return c
	}
	expr, err := parseExpr(cond, use)
	if err != nil {
		d.At(pos, field, "%s%s", err.Error(), d.partOrigin(field, "condition"))
		return c
	}
	c.Expr = expr
	return c
}

// partOrigin names the variables that made one part of a condition
// written as a mapping (its probe or condition text): its problems are
// reported on the whole condition.
func (d *decoder) partOrigin(field, part string) string {
	return d.Origin(yamldoc.Pos{}, yamldoc.Join(field, part))
}

// step reads one step; main is false for the rollback list, which cannot
// inject faults.
func (d *decoder) step(n *yamldoc.Node, field string, main bool) Step {
	s := Step{Pos: n.Pos, field: field}
	var raw stepDoc
	d.Decode(n, &raw, field)
	if d.Failed(field) {
		return s
	}
	var action *yamldoc.Entry
	for i, e := range n.Entries {
		if !slices.Contains(actions, Action(e.Key)) {
			continue
		}
		if action != nil {
			d.At(e.KeyPos, field, "a step does one thing; it has both %q and %q", action.Key, e.Key)
			return s
		}
		action = &n.Entries[i]
	}
	if action == nil {
		if !slices.ContainsFunc(actions, func(a Action) bool { return d.Suggested(yamldoc.Join(field, string(a))) }) {
			d.At(n.Pos, field, "a step needs one of %s", quoteList(actions))
		}
		return s
	}
	s.Action = Action(action.Key)
	sub := yamldoc.Join(field, action.Key)
	switch s.Action {
	case ActionWaitSteady:
		s.WaitSteady = d.waitSteady(raw.WaitSteady, sub)
	case ActionInject:
		s.Inject = d.inject(&raw.Inject, action.Value, sub, main)
	case ActionHold:
		s.Hold = d.positive(raw.Hold, sub)
	case ActionRevert:
		s.Revert = raw.Revert
		switch {
		case d.Failed(sub):
		case s.Revert == "":
			d.Add(sub, "name an earlier inject step, or \"all\"")
		case s.Revert != RevertAll && !d.injects[s.Revert]:
			d.Add(sub, "no inject step named %q before this one%s", s.Revert, yamldoc.DidYouMean(s.Revert, sortedKeys(d.injects)))
		}
	case ActionExpect:
		s.Expect = d.expect(raw.Expect, sub)
	case ActionNote:
		if s.Note = raw.Note; s.Note == "" {
			d.Add(sub, "must not be empty")
		}
	}
	if raw.Allow != nil {
		s.Allow = d.allowances(raw.Allow, yamldoc.Join(field, "allow"))
	}
	return s
}

// positive checks that a duration the file gave is more than zero.
func (d *decoder) positive(v time.Duration, field string) time.Duration {
	if v <= 0 {
		d.Add(field, "want a duration longer than 0, such as 30s")
	}
	return v
}

// waitSteady reads "wait-steady:", "wait-steady: 10s" or {for, timeout}.
func (d *decoder) waitSteady(n *yamldoc.Node, field string) *WaitSteady {
	w := &WaitSteady{For: DefaultSteadyFor, Timeout: DefaultSteadyTimeout}
	switch {
	case n.Kind == yamldoc.Null:
	case n.IsScalar():
		d.Decode(n, &w.For, yamldoc.Join(field, "for"))
		d.positive(w.For, yamldoc.Join(field, "for"))
	default:
		d.Decode(n, w, field)
		d.positive(w.For, yamldoc.Join(field, "for"))
		d.positive(w.Timeout, yamldoc.Join(field, "timeout"))
	}
	if !d.Failed(field) && w.Timeout < w.For {
		d.Add(yamldoc.Join(field, "timeout"), "%s is shorter than for (%s): the wait could never succeed", w.Timeout, w.For)
	}
	return w
}

func (d *decoder) inject(in *Inject, n *yamldoc.Node, field string, main bool) *Inject {
	if d.Failed(field) {
		return in
	}
	if !main {
		d.At(n.Pos, field, "rollback steps cannot inject faults")
		return in
	}
	in.hostPos = faultspec.Check(d.Doc, n, field, faultspec.Spec{Kind: in.Kind, Hosts: in.Hosts, Params: in.Params})
	name := yamldoc.Join(field, "name")
	switch {
	case in.Name == "":
	case in.Name == RevertAll:
		d.Add(name, "%q is reserved for \"revert: all\"", RevertAll)
	case d.injects[in.Name]:
		d.Add(name, "another inject step is already named %q", in.Name)
	default:
		d.injects[in.Name] = true
	}
	return in
}

func (d *decoder) expect(n *yamldoc.Node, field string) *Expect {
	var c expectDoc
	d.Decode(n, &c, field)
	d.required(conditionDoc{c.Probe, c.Condition, c.Target}, field)
	x := &Expect{Condition: d.probeCondition(n.Pos, yamldoc.Join(field, "condition"), c.Probe, c.Target, c.Condition, useExpect)}
	// Problems found later (an unknown probe or target) are about the
	// whole expect, not its condition text.
	x.Condition.field = field
	if n.Lookup("within") == nil {
		d.Add(yamldoc.Join(field, "within"), "missing; say how long to wait, such as 30s")
	} else {
		x.Within = d.positive(c.Within, yamldoc.Join(field, "within"))
	}
	return x
}

// allowances reads a list of allowances, or a single one.
func (d *decoder) allowances(n *yamldoc.Node, field string) []Allowance {
	items := []*yamldoc.Node{n} // "allow: {probe: …}" allows one thing
	if n.Kind == yamldoc.Sequence {
		items = n.Items
	}
	var out []Allowance
	for i, item := range items {
		p := yamldoc.Index(field, i)
		a := Allowance{Pos: item.Pos, field: p}
		d.Decode(item, &a, p)
		switch {
		case d.Failed(p):
		case a.Probe == "":
			d.Add(yamldoc.Join(p, "probe"), "missing; name the probe the allowance is for")
		case !d.hypothesis[a.Probe]:
			// An allowance for a probe the hypothesis does not check is a typo.
			d.Add(yamldoc.Join(p, "probe"), "no hypothesis condition on %q to allow%s", a.Probe, yamldoc.DidYouMean(a.Probe, sortedKeys(d.hypothesis)))
		case item.Lookup("for") == nil && item.Lookup("changes") == nil:
			d.Add(p, "say what is allowed: \"for: 15s\" (time in violation) and/or \"changes: 1\" (master changes)")
		case a.Changes < 0:
			d.Add(yamldoc.Join(p, "changes"), "%d is negative", a.Changes)
		}
		out = append(out, a)
	}
	return out
}

func quoteList(list []Action) string {
	q := make([]string, len(list))
	for i, v := range list {
		q[i] = strconv.Quote(string(v))
	}
	return strings.Join(q, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
