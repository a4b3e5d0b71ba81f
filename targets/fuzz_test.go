package targets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the loader: it must never panic, and
// every failure must be a Problems list of "file:line:col"-style lines.
// Seeds are every fixture in testdata (run: go test -fuzz FuzzParse ./targets).
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yaml", "testdata/broken/*.yaml", "../examples/inventory.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse("fuzz.yaml", data)
		if err == nil {
			if inv == nil {
				t.Fatal("nil inventory without error")
			}
			// A valid inventory must serve the helpers without trouble.
			for _, h := range inv.Hosts {
				inv.SSHFor(h)
				inv.ServicesOf(h.Name)
				if _, err := inv.Select(h.Name); err != nil {
					t.Fatalf("Select(%q) on a loaded inventory: %v", h.Name, err)
				}
			}
			return
		}
		ps, ok := err.(Problems)
		if !ok || len(ps) == 0 {
			t.Fatalf("error %T is not a non-empty Problems: %v", err, err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "fuzz.yaml:") {
				t.Fatalf("problem line %q does not start with the file name", line)
			}
		}
	})
}
