package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/inject/nshost"
)

// checkBed runs gameday check on an inventory of bed hosts (hosts is the
// YAML of the hosts list) and returns the exit status and the rows.
func checkBed(t *testing.T, bed *nshost.Bed, hosts string) (int, map[string][2]string, string) {
	t.Helper()
	inv := fmt.Sprintf("name: logins\nssh: {user: root, identity_file: %s, known_hosts: %s}\nhosts:\n%s", bed.IdentityFile, bed.KnownHosts, hosts)
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, out, errOut := testStreams()
	code := run([]string{"check", "-i", path, "--timeout", "10s"}, io)
	if errOut.Len() > 0 {
		t.Errorf("stderr: %s", errOut)
	}
	return code, tableRows(t, out.String()), out.String()
}

// gameday check means gameday can act: on real sshd hosts in namespaces,
// a missing key, an unknown host key, a user without sudo and a host
// without tc each get one clear failing row and exit 1; an inventory that
// works exits 0 (issue 11.3).
func TestCheckLogsInAsArmingWould(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh of the machine's
	t.Setenv("SSH_AUTH_SOCK", "")
	bed := nshost.New(t, 4, nshost.Options{SudoUser: "gdcheck"})
	h := bed.Hosts
	bed.RevokeSudo(h[2])
	bed.HideTool(h[3], "tc")
	// A known_hosts without host2's key.
	partial := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(partial, []byte(h[0].HostKeyLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missingKey := filepath.Join(t.TempDir(), "no_such_key")

	code, rows, out := checkBed(t, bed, fmt.Sprintf(`  - {name: no-key, address: %s, ssh: {identity_file: %s}}
  - {name: unknown-key, address: %s, ssh: {known_hosts: %s}}
  - {name: no-sudo, address: %s, ssh: {user: gdcheck}}
  - {name: no-tc, address: %s}
`, h[0].Addr, missingKey, h[1].Addr, partial, h[2].Addr, h[3].Addr))
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	want := map[string]string{
		"no-key ssh login":      "cannot log in: identity file " + missingKey + ": open " + missingKey + ": no such file or directory",
		"unknown-key ssh login": "cannot log in: host unknown-key (" + h[1].Addr + ":22) is not in " + partial + ": refusing its unknown ssh-ed25519 key SHA256:",
		"no-sudo ssh login":     "logged in as gdcheck, but sudo -n refuses (sudo: a password is required); gameday runs every step under sudo -n",
		"no-tc ssh login":       "logged in as root; missing tc (bandwidth, latency and loss cannot run)",
	}
	for key, detail := range want {
		got := rows[key]
		if got[0] != "FAIL" || !strings.HasPrefix(got[1], detail) {
			t.Errorf("row %q = %v, want FAIL with detail %q", key, got, detail)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want one per host:\n%s", len(rows), out)
	}

	// The same hosts set up right: root with the key, and the sudo user
	// where sudo is allowed.
	code, rows, out = checkBed(t, bed, fmt.Sprintf(`  - {name: root-1, address: %s}
  - {name: sudo-2, address: %s, ssh: {user: gdcheck}}
`, h[0].Addr, h[1].Addr))
	if code != ExitOK {
		t.Fatalf("exit %d on a good inventory, want 0:\n%s", code, out)
	}
	for key, detail := range map[string]string{
		"root-1 ssh login": "logged in as root; runs scripts as root; has the tools of every fault kind",
		"sudo-2 ssh login": "logged in as gdcheck; runs scripts under sudo -n; has the tools of every fault kind",
	} {
		if got := rows[key]; got[0] != "ok" || got[1] != detail {
			t.Errorf("row %q = %v, want ok with %q", key, got, detail)
		}
	}
}
