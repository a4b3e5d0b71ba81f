package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestToxiproxyInventoryBadInput: a bad toxiproxy part of an inventory
// (bad URL, unknown server, missing proxy, inline token) stops `gameday
// inject` and `gameday check` before anything runs: one line per problem
// with file:line:col, exit 2, the inline token never echoed, nothing in
// the ledger.
func TestToxiproxyInventoryBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	path := filepath.Join(dir, "inventory.yaml")
	inv := `toxiproxy:
  - name: staging
    api: toxiproxy.staging:8474
    token: s3cr3t-t0ken
hosts:
  - name: cache-1
    toxiproxy: {server: stagign, proxy: cache}
  - name: cache-2
    toxiproxy: {server: staging}
`
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		path + `:3:10: toxiproxy[0].api: "toxiproxy.staging:8474": want an http:// or https:// URL`,
		path + `:4:12: toxiproxy[0].token: inline secrets are not allowed; write a reference instead: env:NAME (an environment variable) or file:PATH (a file holding only the secret)`,
		path + `:7:25: hosts[0].toxiproxy.server: no toxiproxy server named "stagign" in toxiproxy; did you mean "staging"?`,
		path + `:9:17: hosts[1].toxiproxy.proxy: missing; name the proxy in front of this host's service, as the server lists it (GET /proxies)`,
	}, "\n")
	for _, args := range [][]string{
		{"inject", "latency", "--host", "cache-1", "-p", "delay=100ms", "-i", path},
		{"check", "-i", path},
	} {
		ios, _, out, errOut := testStreams()
		code := run(args, ios)
		got := strings.TrimPrefix(strings.TrimSpace(errOut.String()), "gameday: ")
		if code != ExitBadInput || got != want {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 2 and\n%s\nstdout: %s", args[0], code, got, want, out)
		}
		if strings.Contains(errOut.String()+out.String(), "s3cr3t") {
			t.Errorf("%s echoes the inline token", args[0])
		}
	}
	ios, _, out, _ := testStreams()
	if code := run([]string{"faults", "--all"}, ios); code != 0 || strings.TrimSpace(out.String()) != "the ledger holds no fault" {
		t.Errorf("faults --all = %d %q, want an empty ledger", code, out)
	}
}
