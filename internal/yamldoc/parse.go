// Package yamldoc loads one YAML document the way gameday's files want it:
// with the line and column of every value, within limits that hostile
// input cannot push past (size, tokens, nesting, alias expansion), with
// duplicate keys, unknown fields and wrong types reported as problems —
// every problem, each as "file:line:col: field: message" — and with a
// did-you-mean for a misspelt name. Inventories, runbooks and drill files
// all load through it, so one mistake gets one kind of message everywhere.
//
// goccy/go-yaml does the lexing and parsing; this package turns its syntax
// tree into Nodes (aliases resolved, merge keys expanded) and decodes Nodes
// into Go structs through their yaml tags.
package yamldoc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"
)

// The limits one file must stay within. Each is far above what a
// hand-written file needs (the example inventory is 4.5 KB, 412 tokens,
// 6 levels deep) and low enough that the worst file within them loads in
// well under 100 MB: the lexer and parser hold a few hundred bytes per
// token, and the parser recurses once per level of nesting.
const (
	MaxBytes  = 1 << 20
	MaxTokens = 50_000
	// MaxDepth bounds nested mappings and lists, aliases included.
	MaxDepth = 64
	// MaxValues bounds the values a file expands to through aliases.
	MaxValues = 200_000
	// MaxProblems bounds the problems listed for one file; the rest are
	// counted in a last line.
	MaxProblems = 100
)

// Format names the kind of file being loaded, for file-level messages.
type Format struct {
	Name  string // "inventory"
	Needs string // what the file must hold: "hosts or services"
}

// a is the format's name with its article: "an inventory".
func (f Format) a() string {
	if strings.ContainsRune("aeiou", rune(f.Name[0])) {
		return "an " + f.Name
	}
	return "a " + f.Name
}

// Read loads the file at path as f and decodes it with decode: the whole
// of a format's Load. A file that cannot be read is an error ("read
// inventory: …"); problems in its content are decode's to return.
func Read[T any](path string, f Format, decode func(*Doc) (T, error)) (T, error) {
	doc, err := Load(path, f)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("read %s: %w", f.Name, err)
	}
	return decode(doc)
}

// Load reads the file at path and parses it (see Parse). The error is only
// for a file that cannot be read; problems with its content are on the Doc.
func Load(path string, f Format) (*Doc, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	// Read one byte past the limit, so that a larger file is refused
	// without being read whole.
	data, err := io.ReadAll(io.LimitReader(fh, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	return Parse(path, data, f), nil
}

// Parse reads data as one YAML document of format f; name is the file
// name problems carry. The Doc's Root is nil when the file is not one
// usable document, with the reason among its problems.
func Parse(name string, data []byte, f Format) *Doc {
	d := newDoc(name)
	d.format = f.Name
	if len(data) > MaxBytes {
		d.At(Pos{Line: 1, Col: 1}, "", "the file is larger than %d KiB; %s this size is not written by hand", MaxBytes>>10, f.a())
		return d
	}
	if tokenBound(data) > 2*MaxTokens {
		d.At(Pos{Line: 1, Col: 1}, "", "the file has more than %d YAML tokens; a file this dense is not written by hand", MaxTokens)
		return d
	}
	body := d.parse(data, f)
	if body == nil {
		return d
	}
	b := &builder{d: d, anchors: map[string]*Node{}, pending: map[string]bool{}}
	root := b.node(body, "", 0)
	switch {
	case root == nil:
	case root.height > MaxDepth:
		d.At(b.deepest.pos, "", "the file nests deeper than %d levels%s", MaxDepth, b.deepest.via)
	case root.size > MaxValues:
		alone := fmt.Sprint(b.largest.size)
		if b.largest.size > MaxValues {
			alone = "more than that"
		}
		d.At(b.largest.pos, "", "aliases expand the file to more than %d values (the limit); alias *%s here stands for %s alone", MaxValues, b.largest.name, alone)
	default:
		d.Root = root
	}
	return d
}

// parse returns the body of the file's only document, or nil after
// recording why there is none.
func (d *Doc) parse(data []byte, f Format) (body ast.Node) {
	// The parser is third-party code fed arbitrary bytes; a panic in it
	// must become a problem, not a crash of gameday.
	defer func() {
		if p := recover(); p != nil {
			d.At(Pos{Line: 1, Col: 1}, "", "the YAML parser failed on this file: %v", p)
			body = nil
		}
	}()
	tokens, ok := d.tokenize(string(data))
	if !ok {
		return nil
	}
	// Duplicate keys are reported by the builder, in this package's words,
	// along with every other problem.
	file, err := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		d.At(syntaxPos(err), "", "invalid YAML: %s", syntaxMessage(err))
		return nil
	}
	var docs []*ast.DocumentNode
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, comment := doc.Body.(*ast.CommentGroupNode); !comment {
			docs = append(docs, doc)
		}
	}
	switch {
	case len(docs) == 0:
		d.At(Pos{Line: 1, Col: 1}, "", "the file is empty; %s needs %s", f.a(), f.Needs)
		return nil
	case len(docs) > 1:
		d.At(astPos(docs[1].Body), "", "the file holds %d YAML documents; %s is exactly one", len(docs), f.a())
		return nil
	}
	return docs[0].Body
}

// tokenize lexes src as goccy/go-yaml's lexer.Tokenize does, but stops at
// the first token past MaxTokens or nested deeper than MaxDepth. The
// parser recurses once per level and its memory grows with the tokens
// (20,000 nested "[" made it take 670 MB), so both are refused before it
// runs. ok is false after a problem was recorded.
func (d *Doc) tokenize(src string) (tokens token.Tokens, ok bool) {
	var (
		s    scanner.Scanner
		nest nesting
	)
	s.Init(src)
	for {
		sub, err := s.Scan()
		if errors.Is(err, io.EOF) {
			return tokens, true
		}
		for _, tk := range sub {
			if len(tokens) == MaxTokens {
				d.At(tokPos(tk), "", "the file has more than %d YAML tokens; a file this dense is not written by hand", MaxTokens)
				return nil, false
			}
			tokens.Add(tk)
			if nest.add(tk) > MaxDepth {
				d.At(tokPos(tk), "", "the file nests deeper than %d levels", MaxDepth)
				return nil, false
			}
		}
	}
}

// tokenBound is a cheap bound on the tokens the lexer will make of data:
// each starts after white space, or at or just after an indicator. The
// lexer reads the whole file in one go, at a few hundred bytes per token,
// so a file far too dense is refused before it runs; the exact count is
// checked while tokenizing.
func tokenBound(data []byte) int {
	n, boundary := 0, true
	for _, c := range data {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			boundary = true
			continue
		case boundary || indicators[c]:
			n++
		}
		boundary = indicators[c]
	}
	return n
}

var indicators = func() (t [256]bool) {
	for _, c := range []byte("[]{},:?-&*!|>'\"#%@`") {
		t[c] = true
	}
	return t
}()

// nesting estimates, token by token, how many mappings and lists enclose
// a token: flow collections by their brackets, block collections by the
// columns of their "-", "?" and "key:" indicators (one block collection
// per indentation). It may count a level less than the parser will find
// (a list written at its key's column), never many more; the exact depth
// is checked again on the tree.
type nesting struct {
	flow   int
	blocks []int // columns of the open block collections, increasing
}

func (n *nesting) add(tk *token.Token) int {
	switch tk.Type {
	case token.SequenceStartType, token.MappingStartType:
		n.flow++
	case token.SequenceEndType, token.MappingEndType:
		n.flow = max(n.flow-1, 0)
	case token.DocumentHeaderType, token.DocumentEndType:
		n.flow, n.blocks = 0, n.blocks[:0]
	case token.SequenceEntryType, token.MappingKeyType, token.MappingValueType:
		if n.flow > 0 || tk.Position == nil {
			break
		}
		col := tk.Position.Column
		if tk.Type == token.MappingValueType && tk.Prev != nil && tk.Prev.Position != nil {
			col = tk.Prev.Position.Column // the key's column
		}
		for len(n.blocks) > 0 && n.blocks[len(n.blocks)-1] > col {
			n.blocks = n.blocks[:len(n.blocks)-1]
		}
		if len(n.blocks) == 0 || n.blocks[len(n.blocks)-1] < col {
			n.blocks = append(n.blocks, col)
		}
	}
	return n.flow + len(n.blocks)
}

// tokenError is what goccy/go-yaml's syntax errors implement.
type tokenError interface {
	GetToken() *token.Token
	GetMessage() string
}

func syntaxPos(err error) Pos {
	var te tokenError
	if errors.As(err, &te) {
		if p := tokPos(te.GetToken()); p.Line > 0 {
			return p
		}
	}
	return Pos{Line: 1, Col: 1}
}

// syntaxMessage is the parser's one-line message, without the source
// excerpt goccy/go-yaml appends to Error().
func syntaxMessage(err error) string {
	var te tokenError
	if errors.As(err, &te) {
		return te.GetMessage()
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

func tokPos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{}
	}
	return Pos{Line: tk.Position.Line, Col: tk.Position.Column}
}

// astPos is where a syntax node starts; a block mapping starts at its
// first key (its own token is the first ':').
func astPos(n ast.Node) Pos {
	switch v := n.(type) {
	case nil:
		return Pos{}
	case *ast.MappingNode:
		if len(v.Values) > 0 {
			return astPos(v.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return astPos(v.Key)
	}
	return tokPos(n.GetToken())
}
