package tui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsScreensAreCurrent keeps the text screenshots in docs/tui.md and
// docs/replay.md equal to the goldens they come from (-update rewrites
// them).
func TestDocsScreensAreCurrent(t *testing.T) {
	docScreens(t, "../docs/tui.md", map[string]string{"main": "TestGoldenViews/main.golden", "confirm": "TestGoldenViews/confirm.golden"})
	docScreens(t, "../docs/replay.md", map[string]string{"breach": "TestReplayGolden/breach.golden"})
}

// docScreens checks (or, with -update, rewrites) the screens of doc, each
// between its marker and the end marker, against its golden.
func docScreens(t *testing.T, doc string, screens map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	changed := false
	for name, golden := range screens {
		g, err := os.ReadFile(filepath.Join("testdata", golden))
		if err != nil {
			t.Fatal(err)
		}
		begin := "<!-- screen:" + name + " "
		i := strings.Index(s, begin)
		if i < 0 {
			t.Fatalf("%s lacks the %s screen marker", doc, name)
		}
		from := strings.Index(s[i:], "-->\n") + i + len("-->\n")
		to := strings.Index(s[from:], "<!-- screen:end -->") + from
		want := "```text\n" + strings.TrimRight(string(g), "\n") + "\n```\n"
		if s[from:to] == want {
			continue
		}
		if f := flag.Lookup("update"); f == nil || f.Value.String() != "true" {
			t.Fatalf("the %s screen in %s is stale; run go test ./tui -run DocsScreens -update", name, doc)
		}
		s = s[:from] + want + s[to:]
		changed = true
	}
	if !changed {
		return
	}
	if err := os.WriteFile(doc, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
