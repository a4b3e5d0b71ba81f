package inject_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gameday-dev/gameday/inject/nshost"
)

// TestAcceptNewHostKeysFlag runs gameday against a host missing from
// known_hosts: inject and revert refuse it with one sentence naming the
// way out, and take it (known_hosts gains its key) only with
// --accept-new-host-keys.
func TestAcceptNewHostKeysFlag(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	h := bed.Hosts[0]
	kh := filepath.Join(t.TempDir(), "known_hosts") // does not exist yet
	inv := bed.Inventory()
	inv.SSH.KnownHosts = kh
	data, err := yaml.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	invPath := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(invPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	g := &gamedayCLI{t: t, bin: buildGameday(t), env: append(os.Environ(), "XDG_STATE_HOME="+t.TempDir(), "HOME="+t.TempDir(), "SSH_AUTH_SOCK=")}
	before := bed.Snapshot(h)
	refusal := "is not in " + kh + ": refusing its unknown ssh-ed25519 key SHA256:"
	refused := func(label string, out string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: succeeded without consent to the new key:\n%s", label, out)
		}
		if !strings.Contains(out, refusal) || !strings.Contains(out, "--accept-new-host-keys") || strings.Contains(out, "goroutine ") {
			t.Fatalf("%s: output lacks the one-sentence refusal %q naming --accept-new-host-keys:\n%s", label, refusal, out)
		}
		if b, _ := os.ReadFile(kh); strings.Contains(string(b), h.Addr) {
			t.Fatalf("%s: known_hosts gained the host without consent:\n%s", label, b)
		}
	}
	arm := []string{"inject", "partition", "--host", "host1", "--param", "peers=192.0.2.10", "--ttl", "60s", "-i", invPath}

	_, out, err := g.run(0, arm...)
	refused("inject", out, err)
	if got := bed.Snapshot(h); got != before {
		t.Fatalf("a refused inject changed host1:\n%s", got)
	}

	if _, out, err := g.run(0, append(arm, "--accept-new-host-keys")...); err != nil {
		t.Fatalf("inject --accept-new-host-keys: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(kh); err != nil || !strings.Contains(string(b), h.HostKeyLine) {
		t.Fatalf("known_hosts after accepting = %q, %v; want host1's key", b, err)
	}
	if !hasGamedayRules(bed, h) {
		t.Fatalf("armed, yet host1 has no gameday rules")
	}

	// Forget the key again: revert needs the same consent.
	if err := os.Remove(kh); err != nil {
		t.Fatal(err)
	}
	_, out, err = g.run(0, "revert", "--all", "-i", invPath)
	refused("revert", out, err)
	if _, out, err := g.run(0, "revert", "--all", "-i", invPath, "--accept-new-host-keys"); err != nil {
		t.Fatalf("revert --all --accept-new-host-keys: %v\n%s", err, out)
	}
	if got := bed.Snapshot(h); got != before {
		t.Errorf("host1 differs after revert:\nbefore:\n%s\nafter:\n%s", before, got)
	}
}
