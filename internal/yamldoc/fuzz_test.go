package yamldoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the loader, expands its variables
// and decodes whatever tree comes out into a struct of every supported
// type. It must never panic;
// a file is either a tree within the limits or at least one problem; and
// every problem is one line naming the file.
// Seeds: every YAML fixture of the repository.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../../examples/*.yaml", "../../examples/*/*.yaml", "../../targets/testdata/*/*.yaml", "../../runbooks/testdata/*.yaml", "../../runbooks/testdata/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a]\nb: {<<: [*a, {c: 1}]}\n"))
	f.Add([]byte("vars: {h: x, n: 3, r: }\nname: ${h}-$${h}\nport: ${n}\nouter: &o [\"${h}\", ${r}, ${nope]\ninner: {tags: *o}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Parse("fuzz.yaml", data, testFormat)
		if d.Root == nil && d.Err() == nil {
			t.Fatal("no tree and no problem")
		}
		if d.Root != nil {
			if d.Root.height > MaxDepth || d.Root.size > MaxValues {
				t.Fatalf("tree of height %d and size %d is beyond the limits", d.Root.height, d.Root.size)
			}
			d.Expand([]Var{{Name: "h", Value: &Node{Kind: String, Text: "${n}", size: 1}, From: "--var"}})
			d.Hooks = map[string]Hook{"upper": upper}
			var s sample
			d.Decode(d.Root, &s, "")
			var m map[string][]map[string]*Node
			d.Decode(d.Root, &m, "m")
		}
		if err := d.Err(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("problem line %q does not start with the file name", line)
				}
			}
		}
	})
}
