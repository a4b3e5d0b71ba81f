package yamldoc

import (
	"fmt"
	"reflect"
)

// Doc is one document being loaded: its tree, and every problem found in
// it so far by the loader, by Decode and by the format's own checks.
type Doc struct {
	// File is the name problems carry.
	File string
	// Root is the document's value; nil when the file is not one usable
	// document (the reason is among the problems).
	Root *Node
	// Hooks decode the fields tagged `yamldoc:"NAME"` in place of the
	// rules for their Go type (a request rate written "10/s").
	Hooks map[string]Hook

	problems Problems
	// dropped counts the problems past MaxProblems.
	dropped int
	// failed holds the fields that have a problem ("" for the file).
	failed map[string]bool
	// suggested holds the fields an unknown key was probably meant to be.
	suggested map[string]bool
	// pos holds where each decoded field path is written.
	pos map[string]Pos
	// format names the kind of file, for messages ("runbook").
	format string
	// origins and posOrigins say, by field path and by position, which
	// variables made a value (see Expand).
	origins    map[string]string
	posOrigins map[Pos]string
}

// Hook decodes n, found at path, into v, reporting any problem on d.
type Hook func(d *Doc, n *Node, v reflect.Value, path string)

func newDoc(file string) *Doc {
	return &Doc{File: file, failed: map[string]bool{}, suggested: map[string]bool{}, pos: map[string]Pos{}}
}

// At records a problem at p on field ("" for the file as a whole). When
// variables made the value there, the message says which and where they
// were set.
func (d *Doc) At(p Pos, field, format string, args ...any) {
	d.failed[field] = true
	d.add(Problem{File: d.File, Pos: p, Field: field, Msg: fmt.Sprintf(format, args...) + d.Origin(p, field)})
}

// add records a problem, counting those past MaxProblems.
func (d *Doc) add(p Problem) {
	if len(d.problems) == MaxProblems {
		d.dropped++
		return
	}
	d.problems = append(d.problems, p)
}

// Add records a problem on field, at the position of the field or of its
// nearest ancestor written in the file (a missing field is reported where
// its parent is) — unless the field or an ancestor already has a problem,
// or an unknown key was taken for a typo of it: a value that failed to
// decode, or was misspelt, is not reported again as missing or invalid.
func (d *Doc) Add(field, format string, args ...any) {
	if d.Failed(field) || d.suggested[field] {
		return
	}
	d.At(d.PosOf(field), field, format, args...)
}

// Failed reports whether a problem was recorded on field or an ancestor.
func (d *Doc) Failed(field string) bool {
	for path := field; ; path = parentPath(path) {
		if d.failed[path] {
			return true
		}
		if path == "" {
			return false
		}
	}
}

// Suggested reports whether an unknown key was taken for a typo of field.
func (d *Doc) Suggested(field string) bool { return d.suggested[field] }

// PosOf is where field (or its nearest decoded ancestor) is written.
func (d *Doc) PosOf(field string) Pos {
	for path := field; ; path = parentPath(path) {
		if p, ok := d.pos[path]; ok {
			return p
		}
		if path == "" {
			return Pos{}
		}
	}
}

// Problems returns the problems found so far, in file order, and a last
// one counting those past MaxProblems.
func (d *Doc) Problems() Problems {
	ps := d.problems.Sorted()
	if d.dropped > 0 {
		ps = append(ps, Problem{File: d.File, Msg: fmt.Sprintf("%d more problems not listed", d.dropped)})
	}
	return ps
}

// Err returns the problems as an error (a Problems), or nil when there
// are none.
func (d *Doc) Err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return d.Problems()
}
