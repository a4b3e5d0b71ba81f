package keys

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the keys table in docs/tui.md")

const (
	docPath  = "../../docs/tui.md"
	docBegin = "<!-- keys:begin (generated from tui/keys by go test ./tui/keys -update) -->\n"
	docEnd   = "<!-- keys:end -->"
)

// TestDocsKeyTableIsCurrent keeps docs/tui.md's key table equal to the
// bindings.
func TestDocsKeyTableIsCurrent(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the keys markers", docPath)
	}
	want := DefaultKeyMap(false).Markdown()
	got := doc[i+len(docBegin) : j]
	if got == want {
		return
	}
	if !*update {
		t.Fatalf("docs/tui.md key table is stale; run go test ./tui/keys -update\nwant:\n%s", want)
	}
	doc = doc[:i+len(docBegin)] + want + doc[j:]
	if err := os.WriteFile(docPath, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnlyDisablesEveryAction(t *testing.T) {
	k := DefaultKeyMap(true)
	for _, b := range k.actions() {
		if b.Enabled() {
			t.Errorf("read-only key map has %q enabled", b.Help().Key)
		}
	}
	if md := k.Markdown(); strings.Contains(md, "dangerous") {
		t.Errorf("read-only key table lists a dangerous key:\n%s", md)
	}
}
