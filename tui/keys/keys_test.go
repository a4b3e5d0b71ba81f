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
	want := New(Permissions{Arm: true, Note: true, HandOver: true}).Markdown()
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

func TestObserversKeysRefuseWithAReason(t *testing.T) {
	k := New(Permissions{})
	if k.Note.Enabled() || k.HandOver.Enabled() {
		t.Error("an observer's key map can note or hand over")
	}
	for _, pressed := range []string{"a", "enter", "r", "R", "s"} {
		if _, ok := k.Refused(pressed); !ok {
			t.Errorf("pressing %q on an observer's screen is not reported as refused", pressed)
		}
	}
	if _, ok := k.Refused("tab"); ok {
		t.Error("tab is reported as refused")
	}
	if _, ok := DefaultKeyMap(false).Refused("a"); ok {
		t.Error("a facilitator's a is reported as refused")
	}
}
