package inject_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
)

// TestRevertAllFromTheLedgerAloneOverSSH arms a partition with an inventory
// whose key and known_hosts are only in its top-level ssh: defaults, given
// relative to the inventory file, then runs `gameday revert --all` without
// -i from another directory and with an empty home: the ledger alone must
// say how to reach each host.
func TestRevertAllFromTheLedgerAloneOverSSH(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{})
	inv := "name: ledger-alone\n" +
		"ssh:\n  user: root\n  port: 22\n  identity_file: " + filepath.Base(bed.IdentityFile) + "\n  known_hosts: " + filepath.Base(bed.KnownHosts) + "\n" +
		"hosts:\n"
	for _, h := range bed.Hosts {
		inv += "  - name: " + h.Name + "\n    address: " + h.Addr + "\n"
	}
	invPath := filepath.Join(filepath.Dir(bed.IdentityFile), "inventory-defaults.yaml")
	if err := os.WriteFile(invPath, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	state, home := t.TempDir(), t.TempDir()
	g := &gamedayCLI{t: t, bin: buildGameday(t), env: append(os.Environ(), "XDG_STATE_HOME="+state, "HOME="+home, "SSH_AUTH_SOCK=")}
	before := map[string]string{}
	for _, h := range bed.Hosts {
		before[h.Name] = bed.Snapshot(h)
	}
	if _, out, err := g.run(0, "inject", "partition", "--host", "host1,host2", "--param", "peers=192.0.2.10", "--ttl", "60s", "-i", invPath); err != nil {
		t.Fatalf("gameday inject: %v\n%s", err, out)
	}
	for _, h := range bed.Hosts {
		if !hasGamedayRules(bed, h) {
			t.Fatalf("armed, yet %s has no gameday rules", h.Name)
		}
	}

	ledger, err := os.ReadFile(filepath.Join(state, "gameday", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(bed.IdentityFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ledger), "PRIVATE KEY") || strings.Contains(string(ledger), strings.TrimSpace(strings.Split(string(key), "\n")[1])) {
		t.Errorf("the ledger holds key contents")
	}
	if !strings.Contains(string(ledger), `"identity_file":"`+bed.IdentityFile+`"`) {
		t.Errorf("the ledger does not name the absolute key path %s", bed.IdentityFile)
	}

	// Revert from another directory, without the inventory.
	cmd := exec.Command(g.bin, "revert", "--all")
	cmd.Env, cmd.Dir = g.env, t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gameday revert --all without -i: %v\n%s", err, out)
	}
	for _, h := range bed.Hosts {
		if got := bed.Snapshot(h); got != before[h.Name] {
			t.Errorf("%s differs after revert --all without -i:\nbefore:\n%s\nafter:\n%s", h.Name, before[h.Name], got)
		}
	}
	l, err := inject.OpenLedger(filepath.Join(state, "gameday", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.State != inject.StateReverted {
			t.Errorf("fault %s is %s after revert --all, want reverted", r.ID, r.State)
		}
	}
}
