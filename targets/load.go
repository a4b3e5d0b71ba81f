package targets

import (
	"fmt"
	"os"
	"reflect"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads, decodes and validates the inventory at path. A bad file
// yields a Problems error naming every problem as "path:line:col: field:
// message"; a file that cannot be read yields the OS error with context.
func Load(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	inv, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// Parse decodes and validates an inventory held in memory; name is the file
// name used in problem messages. On failure the error is a Problems holding
// every problem found, sorted by position.
func Parse(name string, data []byte) (*Inventory, error) {
	r := &report{file: name, pos: map[string]Pos{}, failedAt: map[string]bool{}, suggested: map[string]bool{}}
	inv := &Inventory{Path: name}
	body := parseYAML(r, data)
	if body != nil {
		d := &decoder{r: r, anchors: map[string]ast.Node{}, merged: map[ast.Node][]entry{}, merging: map[ast.Node]bool{}}
		d.decode(body, reflect.ValueOf(inv).Elem(), "", "")
		validate(inv, r)
	}
	if len(r.probs) > 0 {
		return nil, r.probs.sorted()
	}
	return inv, nil
}

// parseYAML returns the body of the file's only document, or nil after
// reporting why there is none.
func parseYAML(r *report, data []byte) (body ast.Node) {
	// The YAML parser is third-party code fed arbitrary bytes; a panic in it
	// must become a problem report, not a crash of gameday.
	defer func() {
		if p := recover(); p != nil {
			r.at(Pos{Line: 1, Col: 1}, "", "YAML parser failed on this file: %v", p)
			body = nil
		}
	}()
	// Duplicate keys are allowed here and reported by the decoder, which
	// keeps going and finds the other problems too.
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		r.at(syntaxPos(err), "", "invalid YAML: %s", syntaxMessage(err))
		return nil
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		r.at(Pos{Line: 1, Col: 1}, "", "the file is empty; an inventory needs hosts or services")
		return nil
	}
	if len(docs) > 1 {
		r.at(nodePos(docs[1].Body), "", "the file holds %d YAML documents; an inventory is exactly one", len(docs))
		return nil
	}
	return docs[0].Body
}
