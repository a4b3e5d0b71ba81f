package runbooks

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
)

// Defaults for fields a runbook may leave out.
const (
	DefaultSteadyFor     = 10 * time.Second
	DefaultSteadyTimeout = 2 * time.Minute
)

var (
	topFields       = []string{"name", "description", "hypothesis", "abort", "steps", "rollback"}
	conditionFields = []string{"probe", "condition", "target"}
	abortFields     = []string{"probe", "condition", "target", "for"}
	injectFields    = []string{"name", "kind", "hosts", "params", "ttl", "i-know"}
	steadyFields    = []string{"for", "timeout"}
	expectFields    = []string{"probe", "condition", "target", "within"}
	allowFields     = []string{"probe", "target", "for", "changes"}
	actions         = []Action{ActionWaitSteady, ActionInject, ActionHold, ActionRevert, ActionExpect, ActionNote}
	probeNameRE     = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$`)
)

// Load reads and validates the runbook at path. A problem in the file comes
// back as one targets.Problem ("file:line:col: field: message", the
// inventory's style); the first problem stops the load.
func Load(path string) (*Runbook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read runbook: %w", err)
	}
	rb, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	rb.Path = path
	return rb, nil
}

// Parse validates data as a runbook. name is the file name used in messages.
func Parse(name string, data []byte) (*Runbook, error) {
	d := &decoder{file: name}
	body, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	rb := d.runbook(body)
	if d.err != nil {
		return nil, d.err
	}
	return rb, nil
}

// parseYAML returns the body of the file's single document.
func parseYAML(name string, data []byte) (ast.Node, error) {
	f, err := safeParse(data)
	if err != nil {
		p := &targets.Problem{File: name, Pos: targets.Pos{Line: 1, Col: 1}, Msg: "invalid YAML: " + firstLine(err.Error())}
		var ye yaml.Error
		if errors.As(err, &ye) {
			p.Msg = "invalid YAML: " + ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				p.Pos = targets.Pos{Line: tk.Position.Line, Col: tk.Position.Column}
			}
		}
		return nil, p
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			if _, comment := doc.Body.(*ast.CommentGroupNode); !comment {
				docs = append(docs, doc)
			}
		}
	}
	switch {
	case len(docs) == 0:
		return nil, &targets.Problem{File: name, Pos: targets.Pos{Line: 1, Col: 1}, Msg: "the file is empty; a runbook needs name, hypothesis and steps"}
	case len(docs) > 1:
		return nil, &targets.Problem{File: name, Pos: pos(docs[1].Body), Msg: fmt.Sprintf("the file holds %d YAML documents; a runbook is exactly one", len(docs))}
	}
	return docs[0].Body, nil
}

// safeParse guards against a panic inside the YAML parser on hostile input:
// a runbook file must never crash gameday.
func safeParse(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed: %v", r)
		}
	}()
	// Duplicate keys are reported by the decoder, in the inventory's words.
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

func (d *decoder) runbook(body ast.Node) *Runbook {
	top := d.object(body, "", topFields...)
	if d.failed() {
		return nil
	}
	rb := &Runbook{
		Name:        d.required(top, "name", body, "", "every runbook needs a name for its reports"),
		Description: d.optional(top, "description", ""),
	}
	if e, ok := top["hypothesis"]; ok {
		for i, n := range d.list(e.value, "hypothesis") {
			rb.Hypothesis = append(rb.Hypothesis, d.condition(n, index("hypothesis", i)))
		}
	}
	d.hypothesis = map[string]bool{}
	for _, c := range rb.Hypothesis {
		d.hypothesis[c.Probe] = true
	}
	if len(rb.Hypothesis) == 0 {
		d.fail(at(top, "hypothesis", body), "hypothesis", "needs at least one steady-state condition, such as \"redis.latency p99 < 50ms\"")
	}
	if e, ok := top["abort"]; ok {
		for i, n := range d.list(e.value, "abort") {
			rb.Abort = append(rb.Abort, d.abort(n, index("abort", i)))
		}
	}
	injects := map[string]bool{}
	if e, ok := top["steps"]; ok {
		rb.Steps = d.steps(e.value, "steps", injects, true)
	}
	if len(rb.Steps) == 0 {
		d.fail(at(top, "steps", body), "steps", "needs at least one step")
	}
	if e, ok := top["rollback"]; ok {
		rb.Rollback = d.steps(e.value, "rollback", injects, false)
	}
	if d.failed() {
		return nil
	}
	return rb
}

// at returns the node to point at for key: its key when present, else the
// enclosing mapping.
func at(m map[string]entry, key string, parent ast.Node) ast.Node {
	if e, ok := m[key]; ok {
		if e.value != nil {
			return e.value
		}
		return e.key
	}
	return parent
}

// condition reads "probe condition" or {probe, condition, target}.
func (d *decoder) condition(n ast.Node, field string) Condition {
	n = d.unwrap(n, field)
	if text, ok := d.colonCondition(n, field); ok {
		probe, cond, _ := strings.Cut(text, " ")
		return d.probeCondition(n, field, probe, "", cond, useHypothesis)
	}
	if _, ok := n.(ast.ScalarNode); ok || n == nil {
		s := strings.TrimSpace(d.scalar(n, field))
		probe, cond, _ := strings.Cut(s, " ")
		return d.probeCondition(n, field, probe, "", cond, useHypothesis)
	}
	m := d.object(n, field, conditionFields...)
	if d.failed() {
		return Condition{}
	}
	probe := d.required(m, "probe", n, field, "name the probe, such as redis.latency")
	cond := d.required(m, "condition", n, field, "write a threshold such as \"p99 < 50ms\"")
	return d.probeCondition(at(m, "condition", n), field, probe, d.optional(m, "target", field), cond, useHypothesis)
}

// colonCondition recognises "- sentinel.master master: stable" written
// without quotes, which YAML reads as a one-key mapping, and returns it as
// the text the author meant.
func (d *decoder) colonCondition(n ast.Node, field string) (string, bool) {
	mv, ok := n.(*ast.MappingValueNode)
	if m, isMap := n.(*ast.MappingNode); isMap && len(m.Values) == 1 {
		mv, ok = m.Values[0], true
	}
	if !ok {
		return "", false
	}
	key := d.scalar(mv.Key, field)
	if !strings.Contains(key, " ") {
		return "", false
	}
	return key + ": " + d.scalar(mv.Value, field), true
}

// abort reads "probe condition [for D]" or {probe, condition, target, for}.
func (d *decoder) abort(n ast.Node, field string) AbortCondition {
	n = d.unwrap(n, field)
	if _, ok := n.(ast.ScalarNode); ok || n == nil {
		s := strings.TrimSpace(d.scalar(n, field))
		var a AbortCondition
		if i := strings.LastIndex(s, " for "); i >= 0 {
			e := entry{key: n, value: n}
			a.For = d.durationText(e, field, strings.TrimSpace(s[i+5:]))
			s = s[:i]
		}
		probe, cond, _ := strings.Cut(s, " ")
		a.Condition = d.probeCondition(n, field, probe, "", cond, useAbort)
		return a
	}
	m := d.object(n, field, abortFields...)
	if d.failed() {
		return AbortCondition{}
	}
	probe := d.required(m, "probe", n, field, "name the probe, such as cassandra.quorum")
	cond := d.required(m, "condition", n, field, "write when to abort, such as \"success < 90%\"")
	return AbortCondition{
		Condition: d.probeCondition(at(m, "condition", n), field, probe, d.optional(m, "target", field), cond, useAbort),
		For:       d.optDuration(m, "for", field, 0),
	}
}

// durationText parses s (taken from inside a longer scalar) as a duration.
func (d *decoder) durationText(e entry, field, s string) time.Duration {
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.fail(e.value, field, "%q after \"for\" is not a positive duration such as 20s", s)
		return 0
	}
	return v
}

func (d *decoder) probeCondition(n ast.Node, field, probe, target, cond string, use exprUse) Condition {
	if d.failed() {
		return Condition{}
	}
	c := Condition{Probe: probe, Target: target, Pos: pos(n), field: field}
	if !probeNameRE.MatchString(probe) {
		d.fail(n, field, "%q is not a probe name such as redis.latency", probe)
		return c
	}
	expr, err := parseExpr(cond, use)
	if err != nil {
		d.fail(n, field, "%s", err.Error())
		return c
	}
	c.Expr = expr
	return c
}

// steps reads a list of steps. injects collects the names of inject steps;
// main is false for the rollback list, whose reverts may name any inject of
// the main steps.
func (d *decoder) steps(n ast.Node, field string, injects map[string]bool, main bool) []Step {
	var out []Step
	for i, item := range d.list(n, field) {
		s := d.step(item, index(field, i), injects, main)
		if d.failed() {
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) step(n ast.Node, field string, injects map[string]bool, main bool) Step {
	known := make([]string, 0, len(actions)+1)
	for _, a := range actions {
		known = append(known, string(a))
	}
	m := d.object(n, field, append(known, "allow")...)
	if d.failed() {
		return Step{}
	}
	s := Step{Pos: pos(n), field: field}
	for _, a := range actions {
		if _, ok := m[string(a)]; !ok {
			continue
		}
		if s.Action != "" {
			d.fail(m[string(a)].key, field, "a step does one thing; it has both %q and %q", s.Action, a)
			return s
		}
		s.Action = a
	}
	if s.Action == "" {
		d.fail(n, field, "a step needs one of %s", quoteList(known))
		return s
	}
	e := m[string(s.Action)]
	sub := join(field, string(s.Action))
	switch s.Action {
	case ActionWaitSteady:
		s.WaitSteady = d.waitSteady(e, sub)
	case ActionInject:
		s.Inject = d.inject(e, sub, injects, main)
	case ActionHold:
		s.Hold = d.duration(e, sub)
	case ActionRevert:
		s.Revert = d.scalar(e.value, sub)
		switch {
		case d.failed():
		case s.Revert == "":
			d.fail(e.key, sub, "name an earlier inject step, or \"all\"")
		case s.Revert != RevertAll && !injects[s.Revert]:
			d.fail(e.value, sub, "no inject step named %q before this one%s", s.Revert, didYouMean(s.Revert, sortedKeys(injects)))
		}
	case ActionExpect:
		s.Expect = d.expect(e, sub)
	case ActionNote:
		s.Note = d.scalar(e.value, sub)
		if s.Note == "" && !d.failed() {
			d.fail(e.key, sub, "must not be empty")
		}
	}
	if a, ok := m["allow"]; ok {
		items := []ast.Node{a.value} // "allow: {probe: …}" allows one thing
		if _, many := a.value.(*ast.SequenceNode); many {
			items = d.list(a.value, join(field, "allow"))
		}
		for i, item := range items {
			s.Allow = append(s.Allow, d.allowance(item, index(join(field, "allow"), i)))
		}
	}
	return s
}

func (d *decoder) waitSteady(e entry, field string) *WaitSteady {
	w := &WaitSteady{For: DefaultSteadyFor, Timeout: DefaultSteadyTimeout}
	switch e.value.(type) {
	case nil:
		return w
	case ast.ScalarNode:
		w.For = d.duration(e, join(field, "for"))
	default:
		m := d.object(e.value, field, steadyFields...)
		w.For = d.optDuration(m, "for", field, w.For)
		w.Timeout = d.optDuration(m, "timeout", field, w.Timeout)
	}
	if !d.failed() && w.Timeout < w.For {
		d.fail(e.value, join(field, "timeout"), "%s is shorter than for (%s): the wait could never succeed", w.Timeout, w.For)
	}
	return w
}

func (d *decoder) inject(e entry, field string, injects map[string]bool, main bool) *Inject {
	m := d.object(e.value, field, injectFields...)
	if d.failed() {
		return nil
	}
	in := &Inject{
		Name: d.optional(m, "name", field),
		Kind: d.required(m, "kind", e.key, field, "name the fault kind, such as latency"),
	}
	if d.failed() {
		return in
	}
	if kinds := kindNames(); len(kinds) > 0 && !slices.Contains(kinds, in.Kind) {
		d.fail(m["kind"].value, join(field, "kind"), "unknown fault kind %q%s", in.Kind, didYouMean(in.Kind, kinds))
		return in
	}
	if h, ok := m["hosts"]; ok {
		for i, n := range d.list(h.value, join(field, "hosts")) {
			host := d.selector(n, index(join(field, "hosts"), i))
			if host == "" && !d.failed() {
				d.fail(n, index(join(field, "hosts"), i), "must not be empty")
			}
			in.Hosts = append(in.Hosts, host)
		}
	}
	if len(in.Hosts) == 0 {
		d.fail(at(m, "hosts", e.key), join(field, "hosts"), "missing; name at least one host, tag:TAG or role:ROLE")
	}
	if p, ok := m["params"]; ok {
		in.Params = d.stringMap(p.value, join(field, "params"))
	}
	if !d.failed() && len(kindNames()) > 0 {
		// The fault kind's own parser names the bad parameter; checking now
		// spares a game day that stops half-way on a typo.
		if _, err := inject.ParseFault(in.Kind, in.Params); err != nil {
			d.fail(at(m, "params", m["kind"].value), join(field, "params"), "%s", err)
		}
	}
	in.TTL = d.optDuration(m, "ttl", field, 0)
	if k, ok := m["i-know"]; ok {
		in.IKnow = d.boolean(k, join(field, "i-know"))
	}
	switch {
	case d.failed() || in.Name == "":
	case in.Name == RevertAll:
		d.fail(m["name"].value, join(field, "name"), "%q is reserved for \"revert: all\"", RevertAll)
	case !main:
		d.fail(m["name"].value, join(field, "name"), "rollback steps cannot inject faults")
	case injects[in.Name]:
		d.fail(m["name"].value, join(field, "name"), "another inject step is already named %q", in.Name)
	default:
		injects[in.Name] = true
	}
	if !main && !d.failed() {
		d.fail(e.key, field, "rollback steps cannot inject faults")
	}
	return in
}

// selector reads a host selector. Inside a flow mapping the YAML parser
// reads "role:master" as a one-key mapping; it is put back together, since
// that is what the author wrote.
func (d *decoder) selector(n ast.Node, field string) string {
	n = d.unwrap(n, field)
	mv, ok := n.(*ast.MappingValueNode)
	if m, isMap := n.(*ast.MappingNode); isMap && len(m.Values) == 1 {
		mv, ok = m.Values[0], true
	}
	if !ok {
		return d.scalar(n, field)
	}
	key := d.scalar(mv.Key, field)
	return key + ":" + d.scalar(mv.Value, field)
}

func (d *decoder) expect(e entry, field string) *Expect {
	m := d.object(e.value, field, expectFields...)
	if d.failed() {
		return nil
	}
	probe := d.required(m, "probe", e.key, field, "name the probe to watch, such as sentinel.master")
	cond := d.required(m, "condition", e.key, field, "write what to wait for, such as \"changed\" or \"lag < 100\"")
	x := &Expect{Condition: d.probeCondition(at(m, "condition", e.key), join(field, "condition"), probe, d.optional(m, "target", field), cond, useExpect)}
	// Problems found later (an unknown probe or target) are about the
	// whole expect, not its condition text.
	x.Condition.Pos, x.Condition.field = pos(e.value), field
	if w, ok := m["within"]; ok {
		x.Within = d.duration(w, join(field, "within"))
	} else {
		d.fail(e.key, join(field, "within"), "missing; say how long to wait, such as 30s")
	}
	return x
}

func (d *decoder) allowance(n ast.Node, field string) Allowance {
	m := d.object(n, field, allowFields...)
	if d.failed() {
		return Allowance{}
	}
	a := Allowance{
		Probe:  d.required(m, "probe", n, field, "name the probe the allowance is for"),
		Target: d.optional(m, "target", field),
		For:    d.optDuration(m, "for", field, 0),
		Pos:    pos(n),
		field:  field,
	}
	if c, ok := m["changes"]; ok {
		a.Changes = d.count(c, join(field, "changes"))
	}
	if !d.failed() && !d.hypothesis[a.Probe] {
		// An allowance for a probe the hypothesis does not check is a typo.
		d.fail(m["probe"].value, join(field, "probe"), "no hypothesis condition on %q to allow%s", a.Probe, didYouMean(a.Probe, sortedKeys(d.hypothesis)))
	}
	_, hasFor := m["for"]
	_, hasChanges := m["changes"]
	if !d.failed() && !hasFor && !hasChanges {
		d.fail(n, field, "say what is allowed: \"for: 15s\" (time in violation) and/or \"changes: 1\" (master changes)")
	}
	return a
}

// kindNames lists the registered fault kinds (empty while none are).
func kindNames() []string {
	var names []string
	for _, k := range inject.Kinds() {
		names = append(names, k.Name)
	}
	return names
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
