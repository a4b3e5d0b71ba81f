package yamldoc

import (
	"errors"
	"strings"
	"testing"
)

func TestSetList(t *testing.T) {
	tests := map[string]struct {
		in    string
		path  []any
		items []string
		want  string
	}{
		"block items in place, comments and quoting kept": {
			"p:\n  t:\n    - a < 1ms     # why\n    - \"b >= 2%\"\n",
			[]any{"p", "t"}, []string{"a < 3ms", "b >= 1%"},
			"p:\n  t:\n    - a < 3ms     # why\n    - \"b >= 1%\"\n",
		},
		"unchanged item keeps its bytes": {
			"t:\n  - 'x < 1'\n  - y\n", []any{"t"}, []string{"x < 1", "z"},
			"t:\n  - 'x < 1'\n  - z\n",
		},
		"more items appended": {
			"a:\n  t:\n    - x\nb: 1\n", []any{"a", "t"}, []string{"x", "master: stable"},
			"a:\n  t:\n    - x\n    - \"master: stable\"\nb: 1\n",
		},
		"fewer items dropped": {
			"t:\n  - x\n  - y   # gone\n  - z\nn: 1\n", []any{"t"}, []string{"x"},
			"t:\n  - x\nn: 1\n",
		},
		"flow list keeps the quoting of its first item": {
			"t: [\"a < 1\", \"b\"]   # c\n", []any{"t"}, []string{"a < 2"},
			"t: [\"a < 2\"]   # c\n",
		},
		"missing key in a block mapping": {
			"s:\n  - name: x\n    probes:\n      lag: {rate: 1}\n\n# next\nz: 1\n",
			[]any{"s", 0, "probes", "latency", "thresholds"}, []string{"p99 < 9ms"},
			"s:\n  - name: x\n    probes:\n      lag: {rate: 1}\n      latency:\n        thresholds:\n          - p99 < 9ms\n\n# next\nz: 1\n",
		},
		"missing key in a flow mapping": {
			"m: {thresholds: [a]}\n", []any{"m", "x", "thresholds"}, []string{"b"},
			"m: {thresholds: [a], x: {thresholds: [b]}}\n",
		},
		"alias becomes a mapping merging it": {
			"x: &d {rate: 1, thresholds: [a]}\np:\n  lag: *d   # shared\n",
			[]any{"p", "lag", "thresholds"}, []string{"b"},
			"x: &d {rate: 1, thresholds: [a]}\np:\n  lag: {<<: *d, thresholds: [b]}   # shared\n",
		},
		"list that is an alias": {
			"x: &l [a]\np: {t: *l}\n", []any{"p", "t"}, []string{"b"},
			"x: &l [a]\np: {t: [b]}\n",
		},
		"key from a merge is written in the entry": {
			"d: &d\n  thresholds: [a]\nq:\n  <<: *d\n  rate: 2\n", []any{"q", "thresholds"}, []string{"b"},
			"d: &d\n  thresholds: [a]\nq:\n  <<: *d\n  rate: 2\n  thresholds:\n    - b\n",
		},
		"empty value": {
			"p:\n  latency:\nz: 1\n", []any{"p", "latency", "thresholds"}, []string{"a"},
			"p:\n  latency: {thresholds: [a]}\nz: 1\n",
		},
		"explicit null": {
			"p:\n  latency: ~   # none yet\n", []any{"p", "latency", "thresholds"}, []string{"a"},
			"p:\n  latency: {thresholds: [a]}   # none yet\n",
		},
		"no newline at the end": {
			"p:\n  a: 1", []any{"p", "t"}, []string{"x"},
			"p:\n  a: 1\n  t:\n    - x\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := SetList([]byte(tc.in), tc.path, tc.items)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", out, tc.want)
			}
		})
	}
}

// TestSetListRefuses: where writing would change more than the list (a
// deep path through an alias or a merged mapping drops what they bring),
// the editor says where, and writes nothing.
func TestSetListRefuses(t *testing.T) {
	tests := map[string]struct {
		in   string
		path []any
		want string
	}{
		"deep through an alias": {
			"x: &p {lag: {rate: 1}}\ns: *p\n", []any{"s", "lag", "thresholds"},
			`2:4: s: an alias (*p); writing lag.thresholds through it would drop the other settings it brings, so write the thresholds by hand`,
		},
		"deep through a merge": {
			"x: &p {lag: {rate: 1}}\ns:\n  <<: *p\n  n: 1\n", []any{"s", "lag", "thresholds"},
			`3:5: s: lag comes from a merge key (<<); writing it here would drop the other settings it brings, so write the thresholds by hand`,
		},
		"not a list":   {"t: 5\n", []any{"t"}, `1:4: t: not a list`},
		"no such item": {"s: [a]\n", []any{"s", 3, "x"}, `1:4: s: has no item 3`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := SetList([]byte(tc.in), tc.path, []string{"v"})
			var p Problem
			if !errors.As(err, &p) {
				t.Fatalf("err %v, want a Problem", err)
			}
			p.File = ""
			if got := strings.TrimPrefix(p.Error(), ":"); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
