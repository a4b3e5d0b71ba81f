package drills

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
)

// FuzzLoad feeds arbitrary bytes to the drill loader: it must never panic,
// a file either loads or yields a non-empty Problems with one line per
// problem naming the file, and a drill that loads always has a plan.
// Seeds: the shipped drills and every fixture.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"../examples/drills/*.yaml", "testdata/*.yaml", "testdata/bad/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dr, err := Parse("fuzz.yaml", data)
		if (dr != nil) == (err != nil) {
			t.Fatalf("loaded %v with error %v: want exactly one", dr != nil, err)
		}
		if err != nil {
			var ps targets.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T is not a non-empty Problems: %v", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("problem line %q does not start with the file name", line)
				}
			}
			return
		}
		p := NewPlan(dr, 1)
		for i, k := range p.Picks {
			if w := dr.Scenarios[i].Window; k.ArmAfter.D() < w.From || k.ArmAfter.D() > w.To {
				t.Fatalf("pick %+v outside its window %+v", k, w)
			}
		}
	})
}
