package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckHostileInventory: files built to exhaust memory (20,000 nested
// lists; an alias bomb) are refused with one sentence naming the file,
// line and column, and exit 2. Their peak memory is measured in
// BENCHMARKS.md (#10.9), not here.
func TestCheckHostileInventory(t *testing.T) {
	for name, want := range map[string]string{
		"deep.yaml":       ":2:71: the file nests deeper than 64 levels\n",
		"alias_bomb.yaml": ":8:12: aliases expand the file to more than 200000 values (the limit); alias *a5 here stands for more than that alone\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "targets", "testdata", "broken", name)
			io, _, out, errOut := testStreams()
			if code := run([]string{"check", "-i", path}, io); code != ExitBadInput {
				t.Fatalf("exit %d, want %d", code, ExitBadInput)
			}
			if errOut.String() != path+want || strings.Count(errOut.String(), "\n") != 1 || out.Len() != 0 {
				t.Errorf("stderr %q, stdout %q; want stderr %q", errOut, out, path+want)
			}
		})
	}
}
