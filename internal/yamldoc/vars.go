package yamldoc

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// VarsKey is the top-level key that declares a file's variables and their
// defaults.
const VarsKey = "vars"

// varNameRE is what a variable may be called: a name a shell user would
// recognise, so that "${host}" reads as one.
var varNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Var is one variable's value and where it was set.
type Var struct {
	Name string
	// Value is a single value (a string, number or boolean), typed as YAML
	// types it: "3" from --var is the number 3.
	Value *Node
	// From says where the value was set, for messages: "--var",
	// "vars.yaml:3:8" or "the default at line 4".
	From string
	// File and Pos are where a value from a file was written, for problems
	// about the setting itself (a variable the file does not declare).
	File string
	Pos  Pos
}

// Text is the value as written.
func (v Var) Text() string { return v.Value.Text }

// Setting is a variable as a loaded file keeps it: its name, its value as
// written and where that was set.
type Setting struct {
	Name, Value, From string
}

// Settings returns the settings of vars (what Expand returned).
func Settings(vars []Var) []Setting {
	var out []Setting
	for _, v := range vars {
		out = append(out, Setting{Name: v.Name, Value: v.Text(), From: v.From})
	}
	return out
}

// VarFlag parses a command line's "NAME=VALUE". The value is typed as a
// plain YAML scalar is ("3" a number, "true" a boolean) and is never read
// as structure: "a: b" or "[x]" stay strings.
func VarFlag(s string) (Var, error) {
	name, value, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return Var{}, fmt.Errorf("--var %s: want NAME=VALUE", s)
	case !varNameRE.MatchString(name):
		return Var{}, fmt.Errorf("--var %s: %q is not a variable name (letters, digits, _ and -, starting with a letter or _)", s, name)
	}
	n := &Node{Kind: String, Text: value, size: 1}
	if value != "" {
		n = plainScalar(value, Pos{})
	}
	return Var{Name: name, Value: n, From: "--var"}, nil
}

// varsFormat is the format of a --var-file.
var varsFormat = Format{Name: "variables file", Needs: "a mapping of variable names to values"}

// ReadVars loads a variables file (--var-file): a YAML mapping of names to
// single values, read by this package's loader with its limits. A bad file
// yields Problems naming every problem.
func ReadVars(path string) ([]Var, error) {
	return Read(path, varsFormat, func(d *Doc) ([]Var, error) {
		if d.Root == nil {
			return nil, d.Err()
		}
		if d.Root.Kind != Mapping {
			d.At(d.Root.Pos, "", "the top level must be a mapping of variable names to values; got %s", d.Root.Describe(false))
			return nil, d.Err()
		}
		var out []Var
		for _, e := range d.Root.Entries {
			field := Join("", e.Key)
			switch {
			case !varNameRE.MatchString(e.Key):
				d.At(e.KeyPos, field, "not a variable name (letters, digits, _ and -, starting with a letter or _)")
			case !e.Value.IsScalar():
				d.At(e.Value.Pos, field, "a variable holds a single value (a string, number or boolean), got %s", e.Value.Describe(false))
			case e.Value.Kind == Null:
				d.At(e.KeyPos, field, "no value; write \"\" for an empty string")
			default:
				p := e.Value.Pos
				out = append(out, Var{Name: e.Key, Value: e.Value, From: fmt.Sprintf("%s:%d:%d", path, p.Line, p.Col), File: path, Pos: p})
			}
		}
		return out, d.Err()
	})
}

// plainScalar types text as YAML types a plain scalar written at pos.
func plainScalar(text string, pos Pos) *Node {
	tk := token.New(text, text, &token.Position{Line: pos.Line, Column: pos.Col})
	var n ast.Node
	switch tk.Type {
	case token.NullType:
		n = ast.Null(tk)
	case token.BoolType:
		n = ast.Bool(tk)
	case token.IntegerType, token.BinaryIntegerType, token.OctetIntegerType, token.HexIntegerType:
		n = ast.Integer(tk)
	case token.FloatType:
		n = ast.Float(tk)
	case token.InfinityType:
		n = ast.Infinity(tk)
	case token.NanType:
		n = ast.Nan(tk)
	default:
		n = ast.String(tk)
	}
	out := scalar(n)
	out.Pos = pos
	return out
}

// Expand declares the variables of the file's top-level "vars" mapping
// (name: default; an empty default makes the variable required), sets
// them from given (later entries win over earlier ones and over the
// defaults), and replaces every "${name}" in the document's values with
// the variable's value before anything is decoded, so a value from a
// variable meets exactly the checks a literal one does. A value that is
// exactly one reference ("count: ${n}", or "${n}" quoted, as YAML wants
// it inside [ ] and { }) takes the variable's type, unless tagged !!str;
// anywhere else ("p99 < ${bound}") its text is spliced in. "$${" stands
// for a literal "${". The values are spliced, never parsed: a variable
// cannot add keys, list items or YAML syntax.
//
// A problem that later lands on a value built from a variable says so,
// and where the value was set. Unknown names, required variables without
// a value and given variables the file does not declare are problems.
// Expand returns the variables in effect, in declaration order. The
// "vars" key stays in the document: the format's struct must accept it.
func (d *Doc) Expand(given []Var) []Var {
	if d.Root == nil || d.Root.Kind != Mapping {
		return nil
	}
	vars, order, broken := d.declared(d.Root.Lookup(VarsKey))
	for _, g := range given {
		if _, ok := vars[g.Name]; !ok {
			d.undeclared(g, order)
			continue
		}
		vars[g.Name] = g
	}
	var out []Var
	for _, name := range order {
		v := vars[name]
		if v.Value == nil {
			if !broken[name] {
				d.At(d.varPos(name), Join(VarsKey, name), "no default and no value given; pass --var %s=VALUE", name)
			}
			continue
		}
		out = append(out, v)
	}
	x := expander{d: d, vars: vars, names: order, memo: map[*Node]*Node{}}
	root := *d.Root
	root.Entries = slices.Clone(root.Entries)
	for i, e := range root.Entries {
		if e.Key != VarsKey {
			root.Entries[i].Value = x.node(e.Value, Join("", e.Key))
		}
	}
	d.Root = &root
	return out
}

// declared reads the "vars" mapping: the defaults, and the names in
// order. A variable without a default maps to a Var with a nil Value;
// broken holds those whose declaration has a problem already reported.
func (d *Doc) declared(n *Node) (vars map[string]Var, order []string, broken map[string]bool) {
	vars, broken = map[string]Var{}, map[string]bool{}
	if n == nil || n.Kind == Null {
		return vars, nil, broken
	}
	if n.Kind != Mapping {
		d.At(n.Pos, VarsKey, "want a mapping of variable names to default values, got %s", n.Describe(false))
		return vars, nil, broken
	}
	d.pos[VarsKey] = n.Pos
	for _, e := range n.Entries {
		field := Join(VarsKey, e.Key)
		d.pos[field] = e.KeyPos
		switch {
		case !varNameRE.MatchString(e.Key):
			d.At(e.KeyPos, field, "not a variable name (letters, digits, _ and -, starting with a letter or _)")
			continue
		case !e.Value.IsScalar():
			d.At(e.Value.Pos, field, "a default is a single value (a string, number or boolean), got %s", e.Value.Describe(false))
			vars[e.Key], broken[e.Key] = Var{Name: e.Key}, true
		case e.Value.Kind == String && strings.Contains(strings.ReplaceAll(e.Value.Text, "$${", ""), "${"):
			d.At(e.Value.Pos, field, "a default is a literal value; it cannot refer to another variable")
			vars[e.Key], broken[e.Key] = Var{Name: e.Key}, true
		case e.Value.Kind == Null:
			vars[e.Key] = Var{Name: e.Key} // required
		default:
			vars[e.Key] = Var{Name: e.Key, Value: e.Value, From: fmt.Sprintf("the default at line %d", e.Value.Pos.Line)}
		}
		order = append(order, e.Key)
	}
	return vars, order, broken
}

func (d *Doc) varPos(name string) Pos { return d.pos[Join(VarsKey, name)] }

// undeclared reports a given variable the file does not declare: a typo
// there would otherwise run the game day on the default.
func (d *Doc) undeclared(g Var, names []string) {
	msg := fmt.Sprintf("the %s declares no variable %q", d.what(), g.Name)
	if len(names) == 0 {
		msg = fmt.Sprintf("the %s declares no variables (a top-level vars: mapping)", d.what())
	} else {
		msg += DidYouMean(g.Name, names) + " (its variables: " + strings.Join(names, ", ") + ")"
	}
	if g.File != "" {
		d.add(Problem{File: g.File, Pos: g.Pos, Field: g.Name, Msg: msg})
		return
	}
	d.add(Problem{File: d.File, Msg: "--var " + g.Name + ": " + msg})
}

// what names the file's format in messages ("runbook").
func (d *Doc) what() string {
	if d.format == "" {
		return "file"
	}
	return d.format
}

// Origin says where the value of the field at pos came from when
// variables made it (" (value of ${wait} from --var)"), or "".
func (d *Doc) Origin(pos Pos, field string) string {
	if o, ok := d.origins[field]; ok {
		return o
	}
	if o, ok := d.posOrigins[pos]; ok && pos != (Pos{}) {
		return o
	}
	return ""
}

// expander substitutes variables in a tree.
type expander struct {
	d     *Doc
	vars  map[string]Var
	names []string
	// memo keeps a shared subtree (an alias) shared, and substituted once.
	memo map[*Node]*Node
}

func (x *expander) node(n *Node, path string) *Node {
	if out, ok := x.memo[n]; ok {
		return out
	}
	out := n
	switch {
	case n.Kind == String:
		out = x.scalar(n, path)
	case n.Kind == Mapping:
		var entries []Entry
		for i, e := range n.Entries {
			v := x.node(e.Value, Join(path, e.Key))
			if v != e.Value && entries == nil {
				entries = slices.Clone(n.Entries)
			}
			if entries != nil {
				entries[i].Value = v
			}
		}
		if entries != nil {
			c := *n
			c.Entries = entries
			out = &c
		}
	case n.Kind == Sequence:
		var items []*Node
		for i, item := range n.Items {
			v := x.node(item, Index(path, i))
			if v != item && items == nil {
				items = slices.Clone(n.Items)
			}
			if items != nil {
				items[i] = v
			}
		}
		if items != nil {
			c := *n
			c.Items = items
			out = &c
		}
	}
	x.memo[n] = out
	return out
}

// scalar substitutes the variables in one string.
func (x *expander) scalar(n *Node, path string) *Node {
	if !strings.Contains(n.Text, "${") {
		return n
	}
	var (
		b     strings.Builder
		used  []Var
		whole *Var // the scalar is exactly one reference
		bad   bool
	)
	s := n.Text
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' { // "$${" is a literal "${"
			b.WriteString(s[:i])
			b.WriteString("{")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			x.d.At(n.Pos, path, "%q opens ${ without a closing }; write $${ for a literal ${", n.Text)
			return n
		}
		name := s[i+2 : i+end]
		v, ok := x.vars[name]
		switch {
		case !ok:
			x.unknown(n, path, name)
			bad = true
		case v.Value == nil: // required and not given: reported once, at vars
			bad = true
		default:
			if i == 0 && i+end+1 == len(s) && b.Len() == 0 && len(used) == 0 {
				whole = &v
			}
			used = append(used, v)
			b.WriteString(v.Value.Text)
		}
		s = s[i+end+1:]
	}
	if bad {
		// Decoding still needs a value; the problem is already recorded.
		return &Node{Kind: String, Pos: n.Pos, Text: b.String(), size: 1}
	}
	var out *Node
	if whole != nil && !n.Tagged {
		c := *whole.Value
		c.Pos = n.Pos
		out = &c
	} else {
		out = &Node{Kind: String, Pos: n.Pos, Text: b.String(), Tagged: n.Tagged, size: 1}
	}
	if len(used) > 0 {
		x.d.origin(n.Pos, path, used)
	}
	return out
}

func (x *expander) unknown(n *Node, path, name string) {
	switch {
	case len(x.names) == 0:
		x.d.At(n.Pos, path, "unknown variable ${%s}: the %s declares no variables (a top-level vars: mapping); write $${%s} for the text itself", name, x.d.what(), name)
	default:
		// A close name is a typo; anything else may be shell text meant
		// literally ("${HOME}"), which is written $${HOME}.
		hint := fmt.Sprintf("; write $${%s} for the text itself", name)
		if s := Suggest(name, x.names); s != "" {
			hint = "; did you mean ${" + s + "}?"
		}
		x.d.At(n.Pos, path, "unknown variable ${%s}%s (this %s's variables: %s)", name, hint, x.d.what(), strings.Join(x.names, ", "))
	}
}

// origin remembers that the value at pos and path was made from used.
func (d *Doc) origin(pos Pos, path string, used []Var) {
	parts := make([]string, len(used))
	for i, v := range used {
		parts[i] = fmt.Sprintf("${%s} from %s", v.Name, v.From)
	}
	note := " (value of " + strings.Join(parts, ", ") + ")"
	if d.origins == nil {
		d.origins, d.posOrigins = map[string]string{}, map[Pos]string{}
	}
	d.origins[path] = note
	d.posOrigins[pos] = note
}
