package yamldoc

import (
	"fmt"
	"strings"
	"testing"
)

var testFormat = Format{Name: "test file", Needs: "something"}

// TestParseRefuses pins the file-level refusals: each is one problem with
// a position, and no tree.
func TestParseRefuses(t *testing.T) {
	bomb := "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i <= 6; i++ {
		bomb += fmt.Sprintf("a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	cases := map[string]struct{ in, want string }{
		"empty":         {"", `f.yaml:1:1: the file is empty; a test file needs something`},
		"comment only":  {"# nothing\n", `f.yaml:1:1: the file is empty; a test file needs something`},
		"two documents": {"a: 1\n---\nb: 2\n", `f.yaml:3:1: the file holds 2 YAML documents; a test file is exactly one`},
		"syntax":        {"a: [1, 2\nb: 3\n", `f.yaml:2:1: invalid YAML: ',' or ']' must be specified`},
		"deep flow":     {"a: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000), `f.yaml:1:67: the file nests deeper than 64 levels`},
		"deep block":    {"a:\n  " + strings.Repeat("- ", 20000) + "x\n", `f.yaml:2:129: the file nests deeper than 64 levels`},
		"deep mappings": {nestedMappings(70), `f.yaml:65:130: the file nests deeper than 64 levels`},
		"deep aliases": {"x: &x " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\ny: " + strings.Repeat("[", 30) + "*x" + strings.Repeat("]", 30),
			`f.yaml:2:34: the file nests deeper than 64 levels through alias *x`},
		"alias bomb": {bomb, `f.yaml:7:10: aliases expand the file to more than 200000 values (the limit); alias *a5 here stands for more than that alone`},
		"aliases add up": {"a: &a " + "[" + strings.Repeat("x, ", 999) + "x]\nb: [" + strings.TrimSuffix(strings.Repeat("*a, ", 201), ", ") + "]\n",
			`f.yaml:2:5: aliases expand the file to more than 200000 values (the limit); alias *a here stands for 1001 alone`},
		"too dense": {"a: [" + strings.Repeat("x,", MaxTokens) + "x]", `f.yaml:1:1: the file has more than 50000 YAML tokens; a file this dense is not written by hand`},
		"tokens":    {"a: [" + strings.Repeat("xx, ", MaxTokens/2) + "x]", `f.yaml:1:99999: the file has more than 50000 YAML tokens; a file this dense is not written by hand`},
		"too large": {"a: " + strings.Repeat("x", MaxBytes), `f.yaml:1:1: the file is larger than 1024 KiB; a test file this size is not written by hand`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := Parse("f.yaml", []byte(tc.in), testFormat)
			if d.Root != nil {
				t.Errorf("Root is set; want no tree")
			}
			if err := d.Err(); err == nil || err.Error() != tc.want {
				t.Errorf("problems:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

// nestedMappings is n block mappings, each inside the one before.
func nestedMappings(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%sk:\n", strings.Repeat("  ", i))
	}
	return b.String()
}

// TestWithinLimits loads files right at the limits: nesting of exactly
// MaxDepth, through aliases too, and a fan-out of merge keys that would be
// 4^15 values if each were copied.
func TestWithinLimits(t *testing.T) {
	fanout := "a: &a {name: n, address: h}\n"
	for c := 'b'; c <= 'p'; c++ {
		fanout += fmt.Sprintf("%c: &%c {<<: [*%c, *%c, *%c, *%c]}\n", c, c, c-1, c-1, c-1, c-1)
	}
	for name, in := range map[string]string{
		"flow":    "a: " + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1),
		"aliases": "x: &x " + strings.Repeat("[", 30) + strings.Repeat("]", 30) + "\ny: " + strings.Repeat("[", 33) + "*x" + strings.Repeat("]", 33),
		"fan-out": fanout,
	} {
		t.Run(name, func(t *testing.T) {
			d := Parse("f.yaml", []byte(in), testFormat)
			if err := d.Err(); err != nil || d.Root == nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.Root.height > MaxDepth || d.Root.size > MaxValues {
				t.Errorf("height %d size %d beyond the limits", d.Root.height, d.Root.size)
			}
		})
	}
}

// TestTreeProblems pins what the tree builder reports while it goes on:
// duplicate keys, non-scalar keys, undefined aliases, bad merges.
func TestTreeProblems(t *testing.T) {
	in := `a: 1
b: {c: 1, c: 2}
k: &k [x]
*k : 3
d: *nowhere
g: &g [1, *g]
e: {<<: [1]}
x-base: &base {k: base, m: base}
f: {<<: *base, k: own}
`
	d := Parse("f.yaml", []byte(in), testFormat)
	want := `f.yaml:2:11: b.c: set twice (first at line 2)
f.yaml:4:1: keys must be plain names, got a list
f.yaml:5:4: d: alias *nowhere refers to no anchor defined before it
f.yaml:6:11: g[1]: alias *g refers to the value it is part of
f.yaml:7:10: e.<<: merge key << wants a mapping, got number 1`
	if err := d.Err(); err == nil || err.Error() != want {
		t.Errorf("problems:\n%v\nwant:\n%s", err, want)
	}
	f := d.Root.Lookup("f")
	var got []string
	for _, e := range f.Entries {
		got = append(got, e.Key+"="+e.Value.Text)
	}
	if strings.Join(got, " ") != "m=base k=own" {
		t.Errorf("merged entries = %v, want merged keys first and the mapping's own key winning", got)
	}
}

// TestMaxProblems: a file with thousands of mistakes lists the first
// MaxProblems and counts the rest.
func TestMaxProblems(t *testing.T) {
	in := "a: [" + strings.TrimSuffix(strings.Repeat("x, ", 500), ", ") + "]\n"
	d := Parse("f.yaml", []byte(in), testFormat)
	var into struct {
		A []int `yaml:"a"`
	}
	d.Decode(d.Root, &into, "")
	ps := d.Problems()
	if len(ps) != MaxProblems+1 || ps[len(ps)-1].Error() != "f.yaml: 400 more problems not listed" {
		t.Fatalf("%d problems, last %v", len(ps), ps[len(ps)-1])
	}
	if ps[0].Error() != `f.yaml:1:5: a[0]: want a whole number, got string "x"` {
		t.Errorf("first problem %v", ps[0])
	}
}
