package runbooks

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/gameday-dev/gameday/targets"
)

// decoder walks a YAML syntax tree and keeps the first problem it finds, so
// that a broken file is reported as one sentence pointing at one place.
// Walking the tree ourselves (rather than unmarshalling into structs) is what
// lets every message carry the field's path and position and suggest the
// field that was probably meant.
type decoder struct {
	file string
	err  *targets.Problem
	// hypothesis holds the probes the hypothesis checks, once read, so that
	// allowances can be checked against it.
	hypothesis map[string]bool
}

// entry is one key of a mapping.
type entry struct {
	key   ast.Node
	value ast.Node // nil when the key has no value
}

func (d *decoder) failed() bool { return d.err != nil }

// fail records a problem at n unless one is already recorded.
func (d *decoder) fail(n ast.Node, field, format string, args ...any) {
	if d.err != nil {
		return
	}
	d.err = &targets.Problem{File: d.file, Pos: pos(n), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// pos returns where n starts in the file.
func pos(n ast.Node) targets.Pos {
	switch v := n.(type) {
	case nil:
		return targets.Pos{}
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return pos(v.Values[0])
		}
	case *ast.MappingValueNode:
		return pos(v.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return targets.Pos{}
	}
	return targets.Pos{Line: tk.Position.Line, Col: tk.Position.Column}
}

// unwrap looks through anchors and tags, and turns an empty value into nil.
func (d *decoder) unwrap(n ast.Node, field string) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			d.fail(n, field, "aliases (*name) are not supported in runbooks; repeat the value")
			return nil
		case *ast.NullNode, *ast.CommentGroupNode, *ast.CommentNode:
			return nil
		default:
			return n
		}
	}
}

// object reads a mapping, rejecting keys not in known (with a suggestion)
// and keys given twice.
func (d *decoder) object(n ast.Node, field string, known ...string) map[string]entry {
	n = d.unwrap(n, field)
	var pairs []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		pairs = v.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{v}
	default:
		what := field
		if what == "" {
			what = "a runbook"
		}
		d.fail(n, field, "%s is a mapping with the fields %s", what, quoteList(known))
		return nil
	}
	out := make(map[string]entry, len(pairs))
	for _, p := range pairs {
		key := d.scalar(p.Key, field)
		if d.failed() {
			return nil
		}
		sub := join(field, key)
		if !slices.Contains(known, key) {
			d.fail(p.Key, sub, "unknown field %q%s", key, didYouMean(key, known))
			return nil
		}
		if first, dup := out[key]; dup {
			d.fail(p.Key, sub, "set twice (first at line %d)", pos(first.key).Line)
			return nil
		}
		out[key] = entry{key: p.Key, value: d.unwrap(p.Value, sub)}
	}
	return out
}

// list reads a sequence; a single scalar counts as a list of one.
func (d *decoder) list(n ast.Node, field string) []ast.Node {
	n = d.unwrap(n, field)
	switch v := n.(type) {
	case nil:
		return nil
	case *ast.SequenceNode:
		return v.Values
	case ast.ScalarNode:
		return []ast.Node{n}
	}
	d.fail(n, field, "must be a list")
	return nil
}

// scalar returns the text of a scalar value ("" for an empty one).
func (d *decoder) scalar(n ast.Node, field string) string {
	n = d.unwrap(n, field)
	switch v := n.(type) {
	case nil:
		return ""
	case *ast.StringNode:
		return v.Value
	case *ast.LiteralNode:
		if v.Value == nil {
			return ""
		}
		return v.Value.Value
	case ast.ScalarNode:
		if tk := v.GetToken(); tk != nil {
			return tk.Value
		}
		return ""
	}
	d.fail(n, field, "must be a single value, not a %s", kindName(n))
	return ""
}

// required returns the scalar of m[key], failing when it is missing or
// empty. at is the node to point at when the key is missing altogether;
// hint says what the field is for.
func (d *decoder) required(m map[string]entry, key string, at ast.Node, field, hint string) string {
	e, ok := m[key]
	if !ok {
		d.fail(at, join(field, key), "missing; %s", hint)
		return ""
	}
	s := d.scalar(e.value, join(field, key))
	if s == "" && !d.failed() {
		d.fail(e.key, join(field, key), "must not be empty")
	}
	return s
}

// optional returns the scalar of m[key], or "".
func (d *decoder) optional(m map[string]entry, key, field string) string {
	e, ok := m[key]
	if !ok {
		return ""
	}
	return d.scalar(e.value, join(field, key))
}

// duration reads a positive duration such as "30s" or "2m".
func (d *decoder) duration(e entry, field string) time.Duration {
	s := d.scalar(e.value, field)
	if d.failed() {
		return 0
	}
	at := e.value
	if at == nil {
		at = e.key
	}
	if s == "" {
		d.fail(at, field, "must be a duration such as 30s")
		return 0
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		d.fail(at, field, "%q needs a unit, as in %ss", s, s)
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.fail(at, field, "%q is not a positive duration such as 30s or 2m", s)
		return 0
	}
	return v
}

// optDuration reads m[key] as a duration, or returns def when absent.
func (d *decoder) optDuration(m map[string]entry, key, field string, def time.Duration) time.Duration {
	e, ok := m[key]
	if !ok {
		return def
	}
	return d.duration(e, join(field, key))
}

// count reads a non-negative whole number.
func (d *decoder) count(e entry, field string) int {
	s := d.scalar(e.value, field)
	if d.failed() {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		at := e.value
		if at == nil {
			at = e.key
		}
		d.fail(at, field, "%q is not a whole number such as 1", s)
		return 0
	}
	return v
}

// boolean reads true or false.
func (d *decoder) boolean(e entry, field string) bool {
	s := d.scalar(e.value, field)
	if d.failed() {
		return false
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	at := e.value
	if at == nil {
		at = e.key
	}
	d.fail(at, field, "%q is not true or false", s)
	return false
}

// stringMap reads a mapping of names to scalar values.
func (d *decoder) stringMap(n ast.Node, field string) map[string]string {
	n = d.unwrap(n, field)
	var pairs []*ast.MappingValueNode
	switch v := n.(type) {
	case nil:
		return nil
	case *ast.MappingNode:
		pairs = v.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{v}
	default:
		d.fail(n, field, "must be a mapping of names to values")
		return nil
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k := d.scalar(p.Key, field)
		if _, dup := out[k]; dup && !d.failed() {
			d.fail(p.Key, join(field, k), "set twice")
		}
		out[k] = d.scalar(p.Value, join(field, k))
		if d.failed() {
			return nil
		}
	}
	return out
}

func kindName(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	}
	return n.Type().String()
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

func quoteList(list []string) string {
	s := ""
	for i, v := range list {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(v)
	}
	return s
}
