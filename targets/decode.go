package targets

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// The decoder walks goccy/go-yaml's AST itself instead of calling
// yaml.Unmarshal: Unmarshal stops at the first unknown field or type error,
// and the inventory must report every problem, each with its position.
// It fills the plain structs of inventory.go through their yaml tags and
// remembers where every field path sits in the file, so validation can
// point at the offending line too.

// maxDepth bounds nesting (and alias indirection) so hostile input cannot
// exhaust the stack.
const maxDepth = 64

var (
	durationType  = reflect.TypeOf(time.Duration(0))
	secretRefType = reflect.TypeOf(SecretRef(""))
)

// maxValues bounds how many values one file may expand to through
// aliases, so an alias bomb costs an error, not minutes of CPU.
const maxValues = 200_000

type decoder struct {
	r       *report
	anchors map[string]ast.Node
	depth   int
	values  int
	// merged caches each mapping's expanded entries; merging marks the
	// mappings being expanded, to catch a merge key that includes itself.
	merged  map[ast.Node][]entry
	merging map[ast.Node]bool
}

// nodePos is where a node starts; a mapping starts at its first key (its
// own token is the first ':').
func nodePos(n ast.Node) Pos {
	switch v := n.(type) {
	case *ast.MappingNode:
		if len(v.Values) > 0 {
			return nodePos(v.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return nodePos(v.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Pos{}
	}
	return Pos{Line: tk.Position.Line, Col: tk.Position.Column}
}

// resolve looks through anchors, aliases and tags to the node that holds
// the value. It reports whether a !!str tag forces a string.
func (d *decoder) resolve(n ast.Node, path string) (ast.Node, bool) {
	forceStr := false
	for hops := 0; n != nil; hops++ {
		if hops > maxDepth {
			d.r.at(nodePos(n), path, "anchors and aliases nest too deeply")
			return nil, false
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			if v.Name != nil {
				d.anchors[v.Name.GetToken().Value] = v.Value
			}
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = v.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.r.at(nodePos(v), path, "alias *%s refers to no anchor defined before it", name)
				return nil, false
			}
			n = target
		case *ast.MappingKeyNode: // "? key" explicit-key syntax
			n = v.Value
		case *ast.TagNode:
			if v.Start != nil && v.Start.Value == "!!str" {
				forceStr = true
			}
			n = v.Value
		default:
			return n, forceStr
		}
	}
	return nil, false
}

// decode fills v from node n found at path. hint carries the field's
// `gameday` tag ("rate").
func (d *decoder) decode(n ast.Node, v reflect.Value, path, hint string) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxDepth {
		d.r.at(nodePos(n), path, "nested too deeply")
		return
	}
	n, forceStr := d.resolve(n, path)
	if n == nil {
		return
	}
	if d.values++; d.values > maxValues {
		if d.values == maxValues+1 {
			d.r.at(nodePos(n), path, "the file expands to more than %d values through aliases", maxValues)
		}
		return
	}
	d.r.pos[path] = nodePos(n)
	if _, ok := n.(*ast.NullNode); ok {
		return // an empty value leaves the zero value; validation decides if that is allowed
	}
	t := v.Type()
	if forceStr && t.Kind() != reflect.String && t != durationType && hint != "rate" {
		text, _ := scalarText(n)
		d.r.at(nodePos(n), path, "want %s, got string %q (tagged !!str)", kindWord(t), text)
		return
	}
	switch {
	case t == durationType:
		d.decodeDuration(n, v, path)
		return
	case hint == "rate":
		d.decodeRate(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), path, hint)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path, hint)
	case reflect.String:
		s, ok := scalarText(n)
		if !ok {
			d.r.at(nodePos(n), path, "want a string, got %s", describe(n, t == secretRefType))
			return
		}
		v.SetString(s)
	case reflect.Int:
		d.decodeInt(n, v, path)
	case reflect.Float64:
		f, ok := number(n)
		if !ok {
			d.r.at(nodePos(n), path, "want a number, got %s", describe(n, false))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.r.at(nodePos(n), path, "want true or false, got %s", describe(n, false))
			return
		}
		v.SetBool(b.Value)
	default:
		// A programming error in inventory.go, not bad input.
		panic(fmt.Sprintf("targets: cannot decode into %s", t))
	}
}

func (d *decoder) decodeInt(n ast.Node, v reflect.Value, path string) {
	in, ok := n.(*ast.IntegerNode)
	if !ok {
		d.r.at(nodePos(n), path, "want a whole number, got %s", describe(n, false))
		return
	}
	switch x := in.Value.(type) {
	case int64:
		v.SetInt(x)
	case uint64:
		if x > math.MaxInt64 {
			d.r.at(nodePos(n), path, "number %s is too large", in.GetToken().Value)
			return
		}
		v.SetInt(int64(x))
	default:
		d.r.at(nodePos(n), path, "want a whole number, got %s", describe(n, false))
	}
}

func (d *decoder) decodeDuration(n ast.Node, v reflect.Value, path string) {
	s, ok := scalarText(n)
	if !ok {
		d.r.at(nodePos(n), path, "want a duration such as 500ms or 2s, got %s", describe(n, false))
		return
	}
	if s == "0" {
		v.SetInt(0)
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		if _, isNum := number(n); isNum {
			d.r.at(nodePos(n), path, "duration %s needs a unit, such as %sms or %ss", s, s, s)
			return
		}
		d.r.at(nodePos(n), path, "want a duration such as 500ms or 2s, got %s", describe(n, false))
		return
	}
	if dur < 0 {
		d.r.at(nodePos(n), path, "duration %s is negative", s)
		return
	}
	v.SetInt(int64(dur))
}

// decodeRate accepts a plain number of requests per second or "N/s",
// "N/m" ("600/m" is 10 per second).
func (d *decoder) decodeRate(n ast.Node, v reflect.Value, path string) {
	if f, ok := number(n); ok && !math.IsInf(f, 0) {
		v.SetFloat(f)
		return
	}
	s, ok := scalarText(n)
	if ok {
		if f, err := ParseRate(s); err == nil {
			v.SetFloat(f)
			return
		}
	}
	d.r.at(nodePos(n), path, "want a rate such as 10/s or 600/m, got %s", describe(n, false))
}

// ParseRate parses a request rate: a plain number (per second), "N/s" or
// "N/m", and returns requests per second.
func ParseRate(s string) (float64, error) {
	num, per, found := strings.Cut(strings.TrimSpace(s), "/")
	unit := time.Second
	if found {
		switch strings.TrimSpace(per) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			unit = time.Minute
		default:
			return 0, fmt.Errorf("rate %q: unit must be /s or /m", s)
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("rate %q: not a number", s)
	}
	return f / unit.Seconds(), nil
}

// entry is one key/value of a mapping, after merge keys are expanded.
type entry struct {
	key    string
	keyPos Pos
	value  ast.Node
}

// entries lists a mapping's key/values in file order, expanding "<<:"
// merge keys (explicit keys win over merged ones) and reporting duplicate
// keys. ok is false when n is not a mapping.
func (d *decoder) entries(n ast.Node, path string) ([]entry, bool) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		return nil, false
	}
	var merged, explicit []entry
	seen := map[string]Pos{}
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			merged = append(merged, d.mergeEntries(mv.Value, path)...)
			continue
		}
		key, ok := d.keyText(mv.Key, path)
		if !ok {
			continue
		}
		kp := nodePos(mv.Key)
		if first, dup := seen[key]; dup {
			d.r.at(kp, keyPath(path, key), "set twice (first at line %d)", first.Line)
			continue
		}
		seen[key] = kp
		explicit = append(explicit, entry{key: key, keyPos: kp, value: mv.Value})
	}
	var out []entry
	for _, e := range merged {
		if _, dup := seen[e.key]; !dup {
			seen[e.key] = e.keyPos
			out = append(out, e)
		}
	}
	return append(out, explicit...), true
}

func (d *decoder) mergeEntries(n ast.Node, path string) []entry {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxDepth {
		d.r.at(nodePos(n), path, "nested too deeply")
		return nil
	}
	n, _ = d.resolve(n, path)
	if n == nil {
		return nil
	}
	if seq, ok := n.(*ast.SequenceNode); ok {
		var out []entry
		for _, item := range seq.Values {
			out = append(out, d.mergeEntries(item, path)...)
		}
		return out
	}
	if es, done := d.merged[n]; done {
		return es
	}
	if d.merging[n] {
		d.r.at(nodePos(n), path, "merge key << includes the mapping it is part of")
		return nil
	}
	d.merging[n] = true
	es, ok := d.entries(n, path)
	delete(d.merging, n)
	if !ok {
		d.r.at(nodePos(n), path, "merge key << wants a mapping, got %s", describe(n, false))
	}
	d.merged[n] = es
	return es
}

func (d *decoder) keyText(k ast.Node, path string) (string, bool) {
	r, _ := d.resolve(k, path)
	if r == nil {
		return "", false
	}
	if s, ok := scalarText(r); ok {
		return s, true
	}
	d.r.at(nodePos(k), path, "keys must be plain names, got %s", describe(r, false))
	return "", false
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	es, ok := d.entries(n, path)
	fields := structFields(v.Type())
	if !ok {
		if path == "" {
			d.r.at(nodePos(n), path, "the top level must be a mapping of %s; got %s", strings.Join(fields.names, ", "), describe(n, false))
			return
		}
		d.r.at(nodePos(n), path, "want a mapping of fields, got %s", describe(n, false))
		return
	}
	for _, e := range es {
		f, ok := fields.byName[e.key]
		p := keyPath(path, e.key)
		if !ok && path == "" && strings.HasPrefix(e.key, "x-") {
			// Top-level "x-" keys hold anchors to share (as in Compose files).
			d.resolve(e.value, p)
			continue
		}
		if !ok {
			if s := suggest(e.key, fields.names); s != "" {
				d.r.suggested[joinPath(path, s)] = true
				d.r.at(e.keyPos, p, "unknown field; did you mean %q?", s)
			} else {
				d.r.at(e.keyPos, p, "unknown field; known fields here are %s", strings.Join(fields.names, ", "))
			}
			continue
		}
		d.decode(e.value, v.Field(f.index), p, f.hint)
		if _, seen := d.r.pos[p]; !seen {
			d.r.pos[p] = e.keyPos
		}
	}
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) {
	es, ok := d.entries(n, path)
	if !ok {
		d.r.at(nodePos(n), path, "want a mapping, got %s", describe(n, false))
		return
	}
	if v.IsNil() && len(es) > 0 {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, e := range es {
		p := keyPath(path, e.key)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(e.value, elem, p, "")
		d.r.pos[p] = e.keyPos // a map entry is known by its key (a probe name)
		v.SetMapIndex(reflect.ValueOf(e.key).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path, hint string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.r.at(nodePos(n), path, "want a list, got %s", describe(n, false))
		return
	}
	if len(seq.Values) == 0 {
		return // nil, as if absent: "hosts: []" and no hosts mean the same
	}
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		d.decode(item, s.Index(i), indexPath(path, i), hint)
	}
	v.Set(s)
}

// fieldInfo is how one struct field is named in YAML.
type fieldInfo struct {
	index int
	hint  string
}

type fieldSet struct {
	byName map[string]fieldInfo
	names  []string
}

func structFields(t reflect.Type) fieldSet {
	fs := fieldSet{byName: map[string]fieldInfo{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		fs.byName[name] = fieldInfo{index: i, hint: sf.Tag.Get("gameday")}
		fs.names = append(fs.names, name)
	}
	return fs
}

// kindWord names what a Go type wants, for messages.
func kindWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	}
	return "a mapping"
}

// scalarText is a scalar's text as written (so "version: 3.6" stays
// "3.6").
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

func number(n ast.Node) (float64, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return float64(x), true
		case uint64:
			return float64(x), true
		}
	case *ast.FloatNode:
		return v.Value, true
	}
	return 0, false
}

// describe names what was found, for "want X, got Y" messages. A secret
// field never has its value echoed.
func describe(n ast.Node, secret bool) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		if !secret {
			return "boolean " + n.GetToken().Value
		}
		return "a boolean"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		if !secret {
			return "number " + n.GetToken().Value
		}
		return "a number"
	}
	if secret {
		return "a string"
	}
	s, _ := scalarText(n)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("string %q", s)
}
