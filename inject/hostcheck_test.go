package inject

import (
	"strings"
	"testing"
)

// Every registered kind says which commands it needs on an SSH host, so
// that gameday check can tell what works where.
func TestEveryKindSaysWhatToolsItNeeds(t *testing.T) {
	for _, k := range Kinds() {
		if len(kindTools[k.Name]) == 0 {
			t.Errorf("kind %s has no entry in kindTools", k.Name)
		}
	}
	for name := range kindTools {
		if _, ok := registry[name]; !ok {
			t.Errorf("kindTools names %q, which is no registered kind", name)
		}
	}
}

func TestMissingTextNamesTheKindsAToolStops(t *testing.T) {
	got := missingText([]string{"tc", "setsid"})
	want := "tc (bandwidth, latency and loss cannot run), setsid (every kind (the TTL guard needs it) cannot run)"
	if got != want {
		t.Errorf("missingText = %q, want %q", got, want)
	}
	if s := checkScript([]string{"tc"}); !strings.HasPrefix(s, "echo '"+checkMarker+"'\n") {
		t.Errorf("the check script does not start with its marker:\n%s", s)
	}
}
