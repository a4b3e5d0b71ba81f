package sshx_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// hostAddr asks the host which address its eth0 has: proof of where the
// script really ran.
const hostAddr = "ip -4 -o addr show dev eth0 | awk '{print $4}'"

func TestProxyJumpReachesAHostOnlyTheJumpHostCanReach(t *testing.T) {
	bed := nshost.New(t, 2, nshost.Options{})
	jump, inner := bed.Hosts[0], bed.Hosts[1]
	// host2 drops SSH from the test runner's address: only host1 gets in.
	bed.Exec(inner, "iptables", "-A", "INPUT", "-s", bed.RunnerAddr, "-p", "tcp", "--dport", "22", "-j", "DROP")

	cfg := isolated(t)
	cfg.Timeout = 3 * time.Second
	direct := sshx.New(bed.Inventory(), cfg)
	defer direct.Close()
	if _, err := direct.Run(context.Background(), bed.Inventory().Hosts[1], "true"); err == nil {
		t.Fatalf("host2 reachable directly; the test proves nothing")
	}

	scPath := filepath.Join(t.TempDir(), "ssh_config")
	sc := fmt.Sprintf("Host inner\n  HostName %s\n  ProxyJump root@%s\n", inner.Addr, jump.Addr)
	if err := os.WriteFile(scPath, []byte(sc), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		host      func(inv *targets.Inventory) targets.Host
		sshConfig string
		// noInventory reaches the host as a ledger would, without inv.
		noInventory bool
	}{
		"inventory jump by host name": {host: func(inv *targets.Inventory) targets.Host {
			h := inv.Hosts[1]
			h.SSH.Jump = "host1"
			return h
		}},
		"inventory jump as user@address:port": {host: func(inv *targets.Inventory) targets.Host {
			h := inv.Hosts[1]
			h.SSH.Jump = "root@" + jump.Addr + ":22"
			return h
		}},
		"portable host, no inventory": {noInventory: true, host: func(inv *targets.Inventory) targets.Host {
			h := inv.Hosts[1]
			h.SSH.Jump = "host1"
			return sshx.Portable(inv, h)
		}},
		"ssh_config ProxyJump on a Host alias": {sshConfig: scPath, host: func(inv *targets.Inventory) targets.Host {
			return targets.Host{Name: "inner-by-alias", Address: "inner"}
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			inv := bed.Inventory()
			c := cfg
			if tc.sshConfig != "" {
				c.SSHConfig = tc.sshConfig
			}
			h := tc.host(inv)
			if tc.noInventory {
				inv = nil
			}
			pool := sshx.New(inv, c)
			defer pool.Close()
			for i := 0; i < 2; i++ {
				res, err := pool.Run(context.Background(), h, hostAddr)
				if err != nil {
					t.Fatalf("Run through the jump host: %v", err)
				}
				if got := strings.TrimSpace(res.Stdout); got != inner.Addr+"/24" {
					t.Fatalf("script ran on %q, want host2 (%s)", got, inner.Addr)
				}
			}
			if d := pool.Dials(); d != 2 {
				t.Fatalf("two runs opened %d connections; want 2 (jump and target, both pooled)", d)
			}
		})
	}
}

func TestSSHConfigFillsWhatTheInventoryLeavesOut(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	h := bed.Hosts[0]
	scPath := filepath.Join(t.TempDir(), "ssh_config")
	sc := fmt.Sprintf(`Host web
  HostName %s
  User root
  Port 2222
  IdentityFile %s
  UserKnownHostsFile %s
`, h.Addr, bed.IdentityFile, bed.KnownHosts)
	if err := os.WriteFile(scPath, []byte(sc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := isolated(t)
	cfg.SSHConfig = scPath
	cfg.Timeout = 3 * time.Second
	cases := map[string]struct {
		port    int // inventory port; ssh_config says 2222, where nothing listens
		wantErr string
	}{
		"inventory port wins over ssh_config":      {port: 22},
		"ssh_config used when inventory is silent": {port: 0, wantErr: "connecting to " + h.Addr + ":2222"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			inv := &targets.Inventory{Hosts: []targets.Host{{Name: "web1", Address: "web", SSH: targets.SSH{Port: tc.port}}}}
			pool := sshx.New(inv, cfg)
			defer pool.Close()
			res, err := pool.Run(context.Background(), inv.Hosts[0], hostAddr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || strings.TrimSpace(res.Stdout) != h.Addr+"/24" {
				t.Fatalf("Run = %+v, %v", res, err)
			}
		})
	}
}

func TestAgentKeysAreOffered(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("ssh-agent did not create %s", sock)
		}
		time.Sleep(20 * time.Millisecond)
	}

	inv := bed.Inventory()
	inv.SSH.IdentityFile = "" // only the agent can authenticate
	cfg := isolated(t)

	t.Run("no key anywhere", func(t *testing.T) {
		pool := sshx.New(inv, cfg)
		defer pool.Close()
		_, err := pool.Run(context.Background(), inv.Hosts[0], "true")
		if err == nil || !strings.Contains(err.Error(), "no SSH key to offer") {
			t.Fatalf("err = %v, want the no-key sentence", err)
		}
	})

	add := exec.Command("ssh-add", bed.IdentityFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	t.Run("key in the agent", func(t *testing.T) {
		c := cfg
		c.AgentSocket = sock
		pool := sshx.New(inv, c)
		defer pool.Close()
		res, err := pool.Run(context.Background(), inv.Hosts[0], "echo via-agent")
		if err != nil || res.Stdout != "via-agent\n" {
			t.Fatalf("Run = %+v, %v", res, err)
		}
	})
}
