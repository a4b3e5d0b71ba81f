package yamldoc

import (
	"reflect"
	"strings"
	"time"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	nodeType     = reflect.TypeFor[*Node]()
)

// Decode fills the value into points to from n, found at path, and
// records every problem on d. Struct fields are named by their yaml tags;
// a key no field has is a problem with a did-you-mean (top-level keys
// starting with "x-" are a home for anchors and are skipped). Durations
// take a unit ("500ms"), a *Node field keeps the node as written for the
// caller to read, and a field tagged `yamldoc:"NAME"` goes to d.Hooks[NAME]
// (`yamldoc:"secret"` is built in: a string never echoed in a message).
// Null leaves the zero value, and an empty list leaves a nil slice.
func (d *Doc) Decode(n *Node, into any, path string) {
	d.decode(n, reflect.ValueOf(into).Elem(), path, "")
}

func (d *Doc) decode(n *Node, v reflect.Value, path, hint string) {
	d.pos[path] = n.Pos
	t := v.Type()
	if t == nodeType {
		v.Set(reflect.ValueOf(n))
		return
	}
	if n.Kind == Null {
		return // validation decides whether an empty value is allowed
	}
	if hook, ok := d.Hooks[hint]; ok && t.Kind() != reflect.Slice { // a list's hook is for its items
		hook(d, n, v, path)
		return
	}
	if n.Tagged && t.Kind() != reflect.String && t != durationType {
		d.At(n.Pos, path, "want %s, got string %q (tagged !!str)", kindWord(t), n.Text)
		return
	}
	if t == durationType {
		d.duration(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), path, hint)
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.list(n, v, path, hint)
	case reflect.String:
		if !n.IsScalar() {
			d.At(n.Pos, path, "want a string, got %s", n.Describe(hint == "secret"))
			return
		}
		v.SetString(n.Text)
	case reflect.Int, reflect.Int64, reflect.Float64, reflect.Bool:
		x, ok := scalarValue(n, t.Kind())
		switch {
		case ok:
			v.Set(reflect.ValueOf(x).Convert(t))
		case n.Kind == Int && t.Kind() != reflect.Bool:
			d.At(n.Pos, path, "number %s is too large", n.Text)
		default:
			d.At(n.Pos, path, "want %s, got %s", kindWord(t), n.Describe(false))
		}
	default:
		// A programming error in the format's types, not bad input.
		panic("yamldoc: cannot decode into " + t.String())
	}
}

// scalarValue is a whole number, number or boolean scalar's value as the
// Go kind wants it.
func scalarValue(n *Node, k reflect.Kind) (any, bool) {
	switch k {
	case reflect.Float64:
		return n.Number()
	case reflect.Bool:
		return n.Bool()
	}
	return n.Int()
}

func (d *Doc) duration(n *Node, v reflect.Value, path string) {
	if !n.IsScalar() {
		d.At(n.Pos, path, "want a duration such as 500ms or 2s, got %s", n.Describe(false))
		return
	}
	if n.Text == "0" {
		v.SetInt(0)
		return
	}
	dur, err := time.ParseDuration(n.Text)
	switch {
	case err == nil && dur < 0:
		d.At(n.Pos, path, "duration %s is negative", n.Text)
	case err == nil:
		v.SetInt(int64(dur))
	case n.Kind == Int || n.Kind == Float:
		d.At(n.Pos, path, "duration %s needs a unit, such as %sms or %ss", n.Text, n.Text, n.Text)
	default:
		d.At(n.Pos, path, "want a duration such as 500ms or 2s, got %s", n.Describe(false))
	}
}

func (d *Doc) structure(n *Node, v reflect.Value, path string) {
	fields := structFields(v.Type())
	if n.Kind != Mapping {
		if path == "" {
			d.At(n.Pos, path, "the top level must be a mapping of %s; got %s", strings.Join(fields.names, ", "), n.Describe(false))
			return
		}
		d.At(n.Pos, path, "want a mapping of fields, got %s", n.Describe(false))
		return
	}
	for _, e := range n.Entries {
		f, ok := fields.byName[e.Key]
		p := Join(path, e.Key)
		switch {
		case ok:
			d.decode(e.Value, v.Field(f.index), p, f.hint)
			if e.Value.Kind == Null {
				d.pos[p] = e.KeyPos // an empty value is known by its key
			}
		case path == "" && strings.HasPrefix(e.Key, "x-"):
			// Top-level "x-" keys hold anchors to share (as in Compose files).
		default:
			d.unknown(e, p, path, fields.names)
		}
	}
}

// unknown reports a key no field has, with the field it was probably
// meant to be, or the list of fields when none is close.
func (d *Doc) unknown(e Entry, p, parent string, names []string) {
	if s := Suggest(e.Key, names); s != "" {
		d.suggested[Join(parent, s)] = true
		d.At(e.KeyPos, p, "unknown field; did you mean %q?", s)
		return
	}
	d.At(e.KeyPos, p, "unknown field; known fields here are %s", strings.Join(names, ", "))
}

func (d *Doc) mapping(n *Node, v reflect.Value, path string) {
	if n.Kind != Mapping {
		d.At(n.Pos, path, "want a mapping, got %s", n.Describe(false))
		return
	}
	if v.IsNil() && len(n.Entries) > 0 {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, e := range n.Entries {
		p := Join(path, e.Key)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(e.Value, elem, p, "")
		d.pos[p] = e.KeyPos // a map entry is known by its key (a probe name)
		v.SetMapIndex(reflect.ValueOf(e.Key).Convert(v.Type().Key()), elem)
	}
}

func (d *Doc) list(n *Node, v reflect.Value, path, hint string) {
	if n.Kind != Sequence {
		d.At(n.Pos, path, "want a list, got %s", n.Describe(false))
		return
	}
	if len(n.Items) == 0 {
		return // nil, as if absent: "hosts: []" and no hosts mean the same
	}
	s := reflect.MakeSlice(v.Type(), len(n.Items), len(n.Items))
	for i, item := range n.Items {
		d.decode(item, s.Index(i), Index(path, i), hint)
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
		fs.byName[name] = fieldInfo{index: i, hint: sf.Tag.Get("yamldoc")}
		fs.names = append(fs.names, name)
	}
	return fs
}

// kindWord names what a Go type wants, for messages.
func kindWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
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
