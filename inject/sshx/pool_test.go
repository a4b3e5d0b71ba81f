package sshx_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// isolated is a Config that ignores the operator's own ~/.ssh and agent.
func isolated(t testing.TB) sshx.Config {
	return sshx.Config{Home: t.TempDir(), SSHConfig: "none", AgentSocket: "none", Timeout: 10 * time.Second}
}

func TestRunReportsOutputAndExitStatus(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	inv := bed.Inventory()
	pool := sshx.New(inv, isolated(t))
	defer pool.Close()
	h := inv.Hosts[0]
	cases := map[string]struct {
		script string
		stdout string
		stderr string
		exit   int
		// anyStderr: the login shell may report the signal ("Killed").
		anyStderr bool
	}{
		"stdout":            {script: "echo hello", stdout: "hello\n"},
		"stderr and exit 3": {script: "echo oops >&2; exit 3", stderr: "oops\n", exit: 3},
		// The script runs in the host's own network namespace.
		"runs on the host": {script: "ip -4 -o addr show dev eth0 | grep -o '" + h.Address + "/24'", stdout: h.Address + "/24\n"},
		// A command reading stdin must not swallow the rest of the script.
		"stdin is not the script": {script: "cat\necho after", stdout: "after\n"},
		"quotes survive":          {script: `printf '%s|' "a b" 'c'"'"'d' '$HOME'`, stdout: `a b|c'd|$HOME|`},
		"killed by a signal":      {script: "kill -9 $$", exit: 137, anyStderr: true},
		"exit ends the script":    {script: "echo a\nexit 4\necho b", stdout: "a\n", exit: 4},
		"here-document last":      {script: "cat <<'EOF'\n}\nEOF", stdout: "}\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := pool.Run(context.Background(), h, tc.script)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if tc.anyStderr {
				res.Stderr = tc.stderr
			}
			if res.Stdout != tc.stdout || res.Stderr != tc.stderr || res.Exit != tc.exit {
				t.Fatalf("got stdout %q stderr %q exit %d, want %q %q %d", res.Stdout, res.Stderr, res.Exit, tc.stdout, tc.stderr, tc.exit)
			}
		})
	}
	if d := pool.Dials(); d != 1 {
		t.Fatalf("%d cases opened %d connections; the pool should reuse one", len(cases), d)
	}
}

func TestHostKeysAreCheckedStrictly(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{})
	h1, h2 := bed.Hosts[0], bed.Hosts[1]

	t.Run("wrong key refused", func(t *testing.T) {
		// host1's address listed with host2's key: a man in the middle.
		kh := writeFile(t, h1.Addr+" "+strings.SplitN(h2.HostKeyLine, " ", 2)[1]+"\n")
		inv := withKnownHosts(bed.Inventory(), kh)
		pool := sshx.New(inv, isolated(t))
		defer pool.Close()
		_, err := pool.Run(context.Background(), inv.Hosts[0], "true")
		if err == nil || !strings.Contains(err.Error(), "does not match "+kh+": refusing to connect") {
			t.Fatalf("err = %v, want a refusal naming %s", err, kh)
		}
		if strings.Contains(err.Error(), "handshake failed") {
			t.Fatalf("refusal is not one clear sentence: %v", err)
		}
	})

	t.Run("changed key refused even when accepting new ones", func(t *testing.T) {
		kh := writeFile(t, h1.Addr+" "+strings.SplitN(h2.HostKeyLine, " ", 2)[1]+"\n")
		inv := withKnownHosts(bed.Inventory(), kh)
		cfg := isolated(t)
		cfg.AcceptNew = true
		pool := sshx.New(inv, cfg)
		defer pool.Close()
		if _, err := pool.Run(context.Background(), inv.Hosts[0], "true"); err == nil || !strings.Contains(err.Error(), "refusing to connect") {
			t.Fatalf("err = %v, want the changed-key refusal", err)
		}
		if b, _ := os.ReadFile(kh); strings.Count(string(b), "\n") != 1 {
			t.Fatalf("known_hosts was modified:\n%s", b)
		}
	})

	t.Run("unknown host refused", func(t *testing.T) {
		kh := writeFile(t, h2.HostKeyLine+"\n")
		inv := withKnownHosts(bed.Inventory(), kh)
		pool := sshx.New(inv, isolated(t))
		defer pool.Close()
		_, err := pool.Run(context.Background(), inv.Hosts[0], "true")
		if err == nil || !strings.Contains(err.Error(), "is not in "+kh+": refusing its unknown ssh-ed25519 key SHA256:") {
			t.Fatalf("err = %v, want an unknown-host refusal", err)
		}
		if b, _ := os.ReadFile(kh); strings.Contains(string(b), h1.Addr) {
			t.Fatalf("known_hosts gained host1 without consent:\n%s", b)
		}
	})

	t.Run("unknown host accepted when the operator says so", func(t *testing.T) {
		kh := t.TempDir() + "/sub/known_hosts" // does not exist yet
		inv := withKnownHosts(bed.Inventory(), kh)
		cfg := isolated(t)
		cfg.AcceptNew = true
		pool := sshx.New(inv, cfg)
		res, err := pool.Run(context.Background(), inv.Hosts[0], "echo ok")
		pool.Close()
		if err != nil || res.Stdout != "ok\n" {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		b, err := os.ReadFile(kh)
		if err != nil || !strings.Contains(string(b), h1.HostKeyLine) {
			t.Fatalf("known_hosts after accept = %q, %v; want host1's key", b, err)
		}
		if fi, _ := os.Stat(kh); fi.Mode().Perm() != 0o600 {
			t.Fatalf("known_hosts mode %v, want 0600", fi.Mode().Perm())
		}
		// Strict again, the accepted key now lets the host in.
		pool = sshx.New(inv, isolated(t))
		defer pool.Close()
		if _, err := pool.Run(context.Background(), inv.Hosts[0], "true"); err != nil {
			t.Fatalf("accepted key refused later: %v", err)
		}
	})
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/known_hosts"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func withKnownHosts(inv *targets.Inventory, path string) *targets.Inventory {
	inv.SSH.KnownHosts = path
	return inv
}
