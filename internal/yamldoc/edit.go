package yamldoc

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// SetList returns data with the list at path replaced by items, every
// other byte of the file kept as it was: comments, blank lines, key
// order, quoting, anchors and aliases. It edits the text where the parsed
// document says the list is, rather than re-printing a document (which
// would re-space comments) or re-marshalling a struct (which would lose
// them).
//
// path holds mapping keys (string) and list indexes (int), such as
// "services", "redis", 0, "probes", "latency", "thresholds". Items of an
// existing list are replaced in place, keeping each one's quoting style
// and comment; mappings missing on the way are added at the end of their
// parent; a key inherited through a merge key ("<<: *defaults") is written
// into the mapping itself, which then overrides it; and where the path
// passes through an alias, the alias becomes a flow mapping that merges
// it ("{<<: *defaults, thresholds: [...]}"), so the anchor and its other
// users are untouched.
func SetList(data []byte, path []any, items []string) ([]byte, error) {
	f, err := parser.ParseBytes(data, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return nil, errors.New("not one YAML document")
	}
	e := &editor{src: data, lines: lineStarts(data)}
	if err := e.set(f.Docs[0].Body, path, items); err != nil {
		return nil, err
	}
	return e.apply(), nil
}

// editor collects byte-range replacements on the source.
type editor struct {
	src   []byte
	lines []int // byte offset of each line's start
	edits []edit
}

type edit struct {
	from, to int
	text     string
}

func lineStarts(b []byte) []int {
	out := []int{0}
	for i, c := range b {
		if c == '\n' {
			out = append(out, i+1)
		}
	}
	return out
}

// offset is the byte offset of a token's first character (goccy counts
// lines from 1 and columns in characters from 1).
func (e *editor) offset(tk *token.Token) int {
	p := tk.Position
	if p.Line < 1 || p.Line > len(e.lines) {
		return len(e.src)
	}
	i := e.lines[p.Line-1]
	for col := 1; col < p.Column && i < len(e.src) && e.src[i] != '\n'; col++ {
		_, size := utf8.DecodeRune(e.src[i:])
		i += size
	}
	return i
}

// lineEnd is the offset just past the newline ending the line holding
// offset i (or the end of the file).
func (e *editor) lineEnd(i int) int {
	for i < len(e.src) && e.src[i] != '\n' {
		i++
	}
	if i < len(e.src) {
		i++
	}
	return i
}

// lineStart is the offset of the start of the line holding offset i.
func (e *editor) lineStart(i int) int {
	for i > 0 && e.src[i-1] != '\n' {
		i--
	}
	return i
}

func (e *editor) replace(from, to int, text string) {
	e.edits = append(e.edits, edit{from, to, text})
}

// apply returns the source with every edit made (edits never overlap).
func (e *editor) apply() []byte {
	sort.Slice(e.edits, func(i, j int) bool { return e.edits[i].from > e.edits[j].from })
	out := append([]byte(nil), e.src...)
	for _, ed := range e.edits {
		out = append(out[:ed.from], append([]byte(ed.text), out[ed.to:]...)...)
	}
	return out
}

// unwrap looks through anchors and tags to the node holding the value;
// alias is set instead when n is an alias.
func unwrap(n ast.Node) (node ast.Node, alias *ast.AliasNode) {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			return nil, v
		default:
			return n, nil
		}
	}
}

// entries are a mapping's own key-value pairs (a one-key block mapping is
// a lone MappingValueNode); ok is false when n is not a mapping.
func entries(n ast.Node) (vs []*ast.MappingValueNode, flow bool, ok bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, v.IsFlowStyle, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, v.IsFlowStyle, true
	}
	return nil, false, false
}

func keyText(mv *ast.MappingValueNode) (string, bool) {
	if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
		return "", false
	}
	tk := mv.Key.GetToken()
	if tk == nil {
		return "", false
	}
	return tk.Value, true
}

func describePath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// problem is an edit the editor refuses, at the node that stops it.
func problem(n ast.Node, path []any, format string, args ...any) error {
	p := Problem{Field: describePath(path), Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			p.Pos = Pos{Line: tk.Position.Line, Col: tk.Position.Column}
		}
	}
	return p
}

// set walks path from n and makes the edits that give the list items.
func (e *editor) set(n ast.Node, path []any, items []string) error {
	anchors := anchorsOf(n)
	cur := n
	var colon *token.Token // the ':' of the key whose value cur is
	for i, el := range path {
		node, alias := unwrap(cur)
		if alias != nil {
			return e.replaceAlias(alias, path[:i], path[i:], items)
		}
		switch k := el.(type) {
		case string:
			if isNull(node) {
				return e.fillNull(node, colon, path[:i], path[i:], items)
			}
			mvs, flow, ok := entries(node)
			if !ok {
				return problem(node, path[:i], "not a mapping, so gameday cannot write %s into it", describePath(path[i:]))
			}
			var found *ast.MappingValueNode
			for _, mv := range mvs {
				if t, ok := keyText(mv); ok && t == k {
					found = mv
				}
			}
			if found == nil {
				if len(path[i:]) > 1 && mergeProvides(mvs, k, anchors) {
					return problem(node, path[:i], "%s comes from a merge key (<<); writing it here would drop the other settings it brings, so write the thresholds by hand", k)
				}
				return e.insertKey(node, mvs, flow, path[i:], items)
			}
			cur, colon = found.Value, found.Start
		case int:
			seq, ok := node.(*ast.SequenceNode)
			if !ok || k < 0 || k >= len(seq.Values) {
				return problem(node, path[:i], "has no item %d", k)
			}
			cur, colon = seq.Values[k], nil
		default:
			return fmt.Errorf("yamldoc: path element %v is neither a key nor an index", el)
		}
	}
	node, alias := unwrap(cur)
	switch v := node.(type) {
	case nil:
		return e.replaceAlias(alias, path, nil, items)
	case *ast.SequenceNode:
		return e.replaceList(v, items)
	}
	if isNull(node) {
		return e.fillNull(node, colon, path, nil, items)
	}
	return problem(node, path, "not a list")
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok || n == nil
}

// anchorsOf maps every anchor name in the document to its value.
func anchorsOf(n ast.Node) map[string]ast.Node {
	out := map[string]ast.Node{}
	ast.Walk(visitFunc(func(n ast.Node) {
		if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
			out[a.Name.GetToken().Value] = a.Value
		}
	}), n)
	return out
}

type visitFunc func(ast.Node)

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	f(n)
	return f
}

// mergeProvides reports whether a merge key of the mapping brings key in.
func mergeProvides(mvs []*ast.MappingValueNode, key string, anchors map[string]ast.Node) bool {
	for _, mv := range mvs {
		if _, merge := mv.Key.(*ast.MergeKeyNode); !merge {
			continue
		}
		var srcs []ast.Node
		if seq, ok := mv.Value.(*ast.SequenceNode); ok {
			srcs = seq.Values
		} else {
			srcs = []ast.Node{mv.Value}
		}
		for _, s := range srcs {
			node, alias := unwrap(s)
			if alias != nil && alias.Value != nil {
				node, _ = unwrap(anchors[alias.Value.GetToken().Value])
			}
			inner, _, ok := entries(node)
			if !ok {
				continue
			}
			for _, in := range inner {
				if t, ok := keyText(in); ok && t == key {
					return true
				}
			}
			if mergeProvides(inner, key, anchors) {
				return true
			}
		}
	}
	return false
}

// replaceAlias rewrites an alias on the path: the list itself becomes a
// flow list; a mapping becomes a flow mapping merging the alias plus the
// one key to set. Deeper paths through an alias are refused: a merge is
// shallow, and the new inner mapping would drop what the alias gave it.
func (e *editor) replaceAlias(a *ast.AliasNode, at, rest []any, items []string) error {
	if a == nil || a.Value == nil {
		return problem(a, at, "an alias without a name")
	}
	name := a.Value.GetToken().Value
	from := e.offset(a.GetToken())
	to := e.offset(a.Value.GetToken()) + len(name)
	switch {
	case len(rest) == 0:
		e.replace(from, to, flowList(items))
	case len(rest) == 1:
		if _, ok := rest[0].(string); !ok {
			return problem(a, at, "an alias (*%s) of a list; gameday cannot write one item of it", name)
		}
		e.replace(from, to, "{<<: *"+name+", "+flowSnippet(rest, items)+"}")
	default:
		return problem(a, at, "an alias (*%s); writing %s through it would drop the other settings it brings, so write the thresholds by hand", name, describePath(rest))
	}
	return nil
}

// fillNull writes the rest of the path where a key has no value
// ("probes:" with nothing after it), as flow style right after its ':'.
func (e *editor) fillNull(n ast.Node, colon *token.Token, at, rest []any, items []string) error {
	value := flowList(items)
	if len(rest) > 0 {
		value = "{" + flowSnippet(rest, items) + "}"
	}
	// An explicit "~" or "null" is replaced; an empty value (for which the
	// parser makes up a "null" token) gets the value after its ':'.
	if nn, ok := n.(*ast.NullNode); ok && nn.Token != nil && nn.Token.Position != nil {
		from := e.offset(nn.Token)
		if to := from + len(nn.Token.Value); to <= len(e.src) && strings.EqualFold(string(e.src[from:to]), nn.Token.Value) &&
			(nn.Token.Value == "~" || strings.EqualFold(nn.Token.Value, "null")) {
			e.replace(from, to, value)
			return nil
		}
	}
	if colon == nil {
		return problem(n, at, "an empty item gameday cannot write into")
	}
	i := e.offset(colon) + 1
	e.replace(i, i, " "+value)
	return nil
}

// insertKey adds the rest of the path to a mapping that lacks its first
// key: before the closing brace of a flow mapping, or as lines after the
// last line of a block mapping, at its keys' indentation.
func (e *editor) insertKey(m ast.Node, mvs []*ast.MappingValueNode, flow bool, rest []any, items []string) error {
	for _, r := range rest {
		if _, ok := r.(string); !ok {
			return problem(m, rest, "gameday cannot create list item %v", r)
		}
	}
	if flow {
		mn, ok := m.(*ast.MappingNode)
		if !ok || mn.End == nil {
			return problem(m, rest, "a flow mapping without its closing brace")
		}
		text := flowSnippet(rest, items)
		if len(mvs) > 0 {
			text = ", " + text
		}
		i := e.offset(mn.End)
		e.replace(i, i, text)
		return nil
	}
	if len(mvs) == 0 {
		return problem(m, rest, "an empty mapping gameday cannot write into")
	}
	col := mvs[0].Key.GetToken().Position.Column - 1
	at := e.lineEnd(e.lastOffset(m))
	text := blockSnippet(rest, items, col)
	if at == len(e.src) && (at == 0 || e.src[at-1] != '\n') {
		text = "\n" + text
	}
	e.replace(at, at, text)
	return nil
}

// lastOffset is the offset of the last character of n's last line of
// content (comments aside: a comment after a mapping usually introduces
// what follows it).
func (e *editor) lastOffset(n ast.Node) int {
	last := 0
	ast.Walk(visitFunc(func(n ast.Node) {
		if _, c := n.(*ast.CommentGroupNode); c {
			return
		}
		tk := n.GetToken()
		if tk == nil || tk.Position == nil {
			return
		}
		i := e.offset(tk)
		// A token may span lines (a block scalar): count them.
		i = e.nthLineAfter(i, strings.Count(strings.TrimSpace(tk.Origin), "\n"))
		last = max(last, i)
	}), n)
	return last
}

// nthLineAfter is the start of the nth line after the one holding i.
func (e *editor) nthLineAfter(i, n int) int {
	for ; n > 0 && i < len(e.src); n-- {
		i = e.lineEnd(i)
	}
	return i
}

// replaceList sets a list's items: a flow list is rewritten whole; a block
// list has its items replaced where they stand (each keeping its quoting
// style and comment), extra ones appended, surplus lines removed.
func (e *editor) replaceList(seq *ast.SequenceNode, items []string) error {
	if seq.IsFlowStyle {
		if seq.Start == nil || seq.End == nil {
			return problem(seq, nil, "a flow list without its brackets")
		}
		// The new items take the quoting of the old first one.
		var first byte
		if len(seq.Values) > 0 {
			if tk := seq.Values[0].GetToken(); tk != nil && tk.Position != nil {
				first = e.src[e.offset(tk)]
			}
		}
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = formatLike(it, first)
		}
		e.replace(e.offset(seq.Start), e.offset(seq.End)+1, "["+strings.Join(out, ", ")+"]")
		return nil
	}
	if len(seq.Entries) != len(seq.Values) || len(seq.Entries) == 0 {
		return problem(seq, nil, "a list gameday cannot rewrite")
	}
	for i, v := range seq.Values {
		if i >= len(items) {
			break
		}
		node, alias := unwrap(v)
		if alias != nil || node == nil || node.GetToken() == nil {
			return problem(v, []any{i}, "an alias or tagged value gameday cannot rewrite")
		}
		str, ok := node.(*ast.StringNode)
		if !ok {
			return problem(v, []any{i}, "not a string")
		}
		if str.Value == items[i] {
			continue // byte for byte as it was
		}
		from := e.offset(node.GetToken())
		to := e.scalarEnd(from, false)
		e.replace(from, to, formatLike(items[i], e.src[from]))
	}
	dash := seq.Entries[0].Start
	col := dash.Position.Column - 1
	switch {
	case len(items) > len(seq.Values):
		var b strings.Builder
		for _, it := range items[len(seq.Values):] {
			b.WriteString(strings.Repeat(" ", col) + "- " + formatPlain(it) + "\n")
		}
		at := e.lineEnd(e.lastOffset(seq))
		text := b.String()
		if at == len(e.src) && (at == 0 || e.src[at-1] != '\n') {
			text = "\n" + text
		}
		e.replace(at, at, text)
	case len(items) < len(seq.Values):
		from := e.lineStart(e.offset(seq.Entries[len(items)].Start))
		to := e.lineEnd(e.lastOffset(seq))
		e.replace(from, to, "")
	}
	return nil
}

// scalarEnd is the offset just past the scalar starting at from: a
// quoted one to its closing quote, a plain one to the end of its line, a
// comment or (in flow style) the next indicator, trailing blanks left out.
func (e *editor) scalarEnd(from int, flow bool) int {
	s := e.src
	switch s[from] {
	case '"':
		i := from + 1
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' {
				i++
			}
			i++
		}
		return min(i+1, len(s))
	case '\'':
		i := from + 1
		for i < len(s) {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i += 2
					continue
				}
				break
			}
			i++
		}
		return min(i+1, len(s))
	}
	i := from
	for i < len(s) && s[i] != '\n' && s[i] != '\r' {
		if s[i] == '#' && i > from && (s[i-1] == ' ' || s[i-1] == '\t') {
			break
		}
		if flow && (s[i] == ',' || s[i] == ']' || s[i] == '}') {
			break
		}
		i++
	}
	for i > from && (s[i-1] == ' ' || s[i-1] == '\t') {
		i--
	}
	return i
}

// formatLike writes v in the style of the scalar it replaces, whose
// first character is first.
func formatLike(v string, first byte) string {
	switch first {
	case '"':
		return strconv.Quote(v)
	case '\'':
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return formatPlain(v)
}

// formatPlain writes v plain when YAML reads it back as the same string,
// double-quoted otherwise.
func formatPlain(v string) string {
	if plainSafe(v) {
		return v
	}
	return strconv.Quote(v)
}

func plainSafe(v string) bool {
	if v == "" || strings.TrimSpace(v) != v || strings.ContainsAny(v, "\n\r\t,[]{}\"'`") ||
		strings.Contains(v, ": ") || strings.Contains(v, " #") || strings.HasSuffix(v, ":") ||
		strings.ContainsAny(v[:1], "-?:#&*!|>%@") {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n":
		return false
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return false
	}
	return true
}

func flowList(items []string) string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = formatPlain(it)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// flowSnippet is "k1: {k2: [items]}" for rest = k1, k2.
func flowSnippet(rest []any, items []string) string {
	key := formatPlain(fmt.Sprint(rest[0]))
	if len(rest) == 1 {
		return key + ": " + flowList(items)
	}
	return key + ": {" + flowSnippet(rest[1:], items) + "}"
}

// blockSnippet is the rest of the path as block lines at indentation col.
func blockSnippet(rest []any, items []string, col int) string {
	var b strings.Builder
	for i, r := range rest {
		b.WriteString(strings.Repeat(" ", col+2*i) + formatPlain(fmt.Sprint(r)) + ":\n")
	}
	for _, it := range items {
		b.WriteString(strings.Repeat(" ", col+2*len(rest)) + "- " + formatPlain(it) + "\n")
	}
	return b.String()
}
