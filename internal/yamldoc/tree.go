package yamldoc

import (
	"math"

	"github.com/goccy/go-yaml/ast"
)

// builder turns goccy/go-yaml's syntax tree into Nodes: it resolves
// aliases to the node their anchor names (so an alias costs nothing to
// build), expands merge keys, reports duplicate and non-scalar keys, and
// keeps the size and height of every node so the limits on aliases and
// depth hold before anyone walks the tree.
type builder struct {
	d       *Doc
	anchors map[string]*Node
	// pending holds the anchors whose value is being built: an alias to
	// one of them would make the tree a cycle.
	pending map[string]bool
	// largest is the alias that stands for the most values, and deepest
	// where the tree first got too deep: what the limit messages name.
	largest struct {
		pos  Pos
		name string
		size int
	}
	deepest struct {
		pos Pos
		via string
	}
}

// node builds n found at path; depth is how many collections enclose it.
func (b *builder) node(n ast.Node, path string, depth int) *Node {
	switch v := n.(type) {
	case nil:
		return &Node{Kind: Null, size: 1}
	case *ast.AnchorNode:
		name := v.Name.GetToken().Value
		b.pending[name] = true
		out := b.node(v.Value, path, depth)
		delete(b.pending, name)
		b.anchors[name] = out
		return out
	case *ast.AliasNode:
		return b.alias(v, path, depth)
	case *ast.TagNode:
		out := b.node(v.Value, path, depth)
		if v.Start != nil && v.Start.Value == "!!str" && out.IsScalar() {
			// A copy: the same scalar may be reached untagged through an anchor.
			out = &Node{Kind: String, Pos: out.Pos, Text: out.Text, Tagged: true, size: 1}
		}
		return out
	case *ast.MappingKeyNode: // "? key" explicit-key syntax
		return b.node(v.Value, path, depth)
	case *ast.MappingNode:
		return b.mapping(v, v.Values, path, depth)
	case *ast.MappingValueNode:
		return b.mapping(v, []*ast.MappingValueNode{v}, path, depth)
	case *ast.SequenceNode:
		return b.sequence(v, path, depth)
	}
	return scalar(n)
}

// scalar builds a single value.
func scalar(n ast.Node) *Node {
	out := &Node{Kind: String, Pos: astPos(n), size: 1}
	if tk := n.GetToken(); tk != nil {
		out.Text = tk.Value
	}
	switch v := n.(type) {
	case *ast.NullNode:
		out.Kind, out.Text = Null, ""
	case *ast.StringNode:
		out.Text = v.Value
	case *ast.LiteralNode:
		out.Text = ""
		if v.Value != nil {
			out.Text = v.Value.Value
		}
	case *ast.IntegerNode:
		out.Kind, out.value = Int, v.Value
	case *ast.FloatNode:
		out.Kind, out.value = Float, v.Value
	case *ast.InfinityNode:
		out.Kind, out.value = Float, v.Value
	case *ast.NanNode:
		out.Kind, out.value = Float, math.NaN()
	case *ast.BoolNode:
		out.Kind, out.value = Bool, v.Value
	}
	return out
}

func (b *builder) alias(v *ast.AliasNode, path string, depth int) *Node {
	name := ""
	if v.Value != nil {
		name = v.Value.GetToken().Value
	}
	pos := astPos(v)
	target, ok := b.anchors[name]
	switch {
	case b.pending[name]:
		b.d.At(pos, path, "alias *%s refers to the value it is part of", name)
		return &Node{Kind: Null, Pos: pos, size: 1}
	case !ok:
		b.d.At(pos, path, "alias *%s refers to no anchor defined before it", name)
		return &Node{Kind: Null, Pos: pos, size: 1}
	}
	if target.size > b.largest.size {
		b.largest.pos, b.largest.name, b.largest.size = pos, name, target.size
	}
	if depth+target.height > MaxDepth && b.deepest.pos == (Pos{}) {
		b.deepest.pos, b.deepest.via = pos, " through alias *"+name
	}
	return target
}

// grow adds a child's size and height to a collection's, saturating so
// that an alias bomb cannot overflow the count.
func (b *builder) grow(out, child *Node) {
	out.size = min(out.size+child.size, MaxValues+1)
	out.height = max(out.height, child.height+1)
}

func (b *builder) sequence(v *ast.SequenceNode, path string, depth int) *Node {
	out := &Node{Kind: Sequence, Pos: tokPos(v.GetToken()), size: 1, height: 1}
	if depth+1 > MaxDepth && b.deepest.pos == (Pos{}) {
		b.deepest.pos = out.Pos
	}
	out.Items = make([]*Node, 0, len(v.Values))
	for i, item := range v.Values {
		c := b.node(item, Index(path, i), depth+1)
		b.grow(out, c)
		out.Items = append(out.Items, c)
	}
	return out
}

// mapping builds a mapping: keys merged in by "<<" first (each key once;
// a key written in the mapping itself wins), then the explicit ones.
func (b *builder) mapping(n ast.Node, values []*ast.MappingValueNode, path string, depth int) *Node {
	out := &Node{Kind: Mapping, Pos: astPos(n), size: 1, height: 1}
	if depth+1 > MaxDepth && b.deepest.pos == (Pos{}) {
		b.deepest.pos = out.Pos
	}
	var merged, explicit []Entry
	seen := map[string]Pos{}
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			merged = append(merged, b.merge(mv.Value, path+".<<", depth+1)...)
			continue
		}
		key, ok := b.key(mv.Key, path, depth)
		if !ok {
			continue
		}
		kp := astPos(mv.Key)
		if first, dup := seen[key]; dup {
			b.d.At(kp, Join(path, key), "set twice (first at line %d)", first.Line)
			continue
		}
		seen[key] = kp
		explicit = append(explicit, Entry{Key: key, KeyPos: kp, Value: b.node(mv.Value, Join(path, key), depth+1)})
	}
	for _, e := range merged {
		if _, dup := seen[e.Key]; !dup {
			seen[e.Key] = e.KeyPos
			out.Entries = append(out.Entries, e)
		}
	}
	out.Entries = append(out.Entries, explicit...)
	for _, e := range out.Entries {
		b.grow(out, e.Value)
	}
	return out
}

// merge returns the entries a "<<" key brings in: those of a mapping, or
// of each mapping in a list of them.
func (b *builder) merge(n ast.Node, path string, depth int) []Entry {
	src := b.node(n, path, depth)
	items := []*Node{src}
	if src.Kind == Sequence {
		items = src.Items
	}
	var out []Entry
	for _, m := range items {
		switch m.Kind {
		case Mapping:
			out = append(out, m.Entries...)
		case Null: // an alias already reported
		default:
			b.d.At(m.Pos, path, "merge key << wants a mapping, got %s", m.Describe(false))
		}
	}
	return out
}

// key returns a mapping key's text; keys are plain scalars.
func (b *builder) key(k ast.Node, path string, depth int) (string, bool) {
	n := b.node(k, path, depth)
	if n.IsScalar() && n.Kind != Null {
		return n.Text, true
	}
	b.d.At(astPos(k), path, "keys must be plain names, got %s", n.Describe(false))
	return "", false
}
