package targets

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a 1-based line and column in an inventory file.
type Pos struct {
	Line, Col int
}

// Problem is one thing wrong with an inventory file, anchored to where it
// is: the line and column of the offending node (or of its parent, when a
// required field is missing).
type Problem struct {
	File  string
	Pos   Pos
	Field string // dotted path such as "hosts[2].ssh.port"; empty for file-level problems
	Msg   string
}

// Error renders the problem as "file:line:col: field: message".
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Pos.Line, p.Pos.Col)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	// One problem is one line, whatever bytes the file held.
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(b.String())
}

// Problems is every problem found in one inventory file. Loading reports
// all of them at once so a user fixes the file in one pass, not one error
// per run.
type Problems []Problem

// Error renders one problem per line, in file order.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps.sorted() {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Msg < b.Msg
	})
	return out
}

// report collects problems against one file, with positions looked up by
// field path.
type report struct {
	file  string
	pos   map[string]Pos
	probs Problems
	// failedAt holds the fields that have a problem ("" for the file).
	failedAt map[string]bool
	// suggested are fields an unknown key was probably meant to be.
	suggested map[string]bool
}

// at records a problem at an explicit position.
func (r *report) at(p Pos, field, format string, args ...any) {
	r.probs = append(r.probs, Problem{File: r.file, Pos: p, Field: field, Msg: fmt.Sprintf(format, args...)})
	r.failedAt[field] = true
}

// add records a problem at the position of field, or of its nearest
// ancestor that appears in the file (a missing field is reported where its
// parent is).
func (r *report) add(field, format string, args ...any) {
	r.at(r.lookup(field), field, format, args...)
}

func (r *report) lookup(field string) Pos {
	for path := field; ; {
		if p, ok := r.pos[path]; ok {
			return p
		}
		if path == "" {
			return Pos{}
		}
		path = parentPath(path)
	}
}

// parentPath strips the last ".name" or "[i]" from a field path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// joinPath appends a field name to a path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// keyPath appends a key written by the user to a path, quoted when it is
// not a plain name so that the path stays one readable line.
func keyPath(path, key string) string {
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return joinPath(path, strconv.Quote(key))
		}
	}
	if key == "" {
		return joinPath(path, `""`)
	}
	return joinPath(path, key)
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
