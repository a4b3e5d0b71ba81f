package yamldoc

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a 1-based line and column in a file; the zero Pos means "the
// file as a whole".
type Pos struct {
	Line, Col int
}

// Problem is one thing wrong with a file, anchored to where it is: the
// line and column of the offending node (or of its parent, when a required
// field is missing).
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

// Problems is every problem found in one file. Loading reports all of them
// at once so a user fixes the file in one pass, not one error per run.
type Problems []Problem

// Error renders one problem per line, in file order.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps.Sorted() {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Sorted returns the problems in file order (line, column, field,
// message); one without a position comes last.
func (ps Problems) Sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Pos.Line == 0) != (b.Pos.Line == 0) {
			return b.Pos.Line == 0
		}
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

// Join appends a key written by the user to a field path, quoted when it is
// not a plain name so that the path stays one readable line.
func Join(path, key string) string {
	switch {
	case key == "":
		key = `""`
	case strings.ContainsFunc(key, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}):
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends a list index to a field path.
func Index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// parentPath strips the last ".name" or "[i]" from a field path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
