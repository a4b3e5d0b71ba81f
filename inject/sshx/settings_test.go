package sshx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
)

func TestSettingsPrecedence(t *testing.T) {
	home := t.TempDir()
	sc := filepath.Join(home, "ssh_config")
	if err := os.WriteFile(sc, []byte(`Host alias
  HostName real.example
  User scuser
  Port 2200
  IdentityFile ~/.ssh/from_config
  UserKnownHostsFile ~/kh_from_config
  ProxyJump jumper@bastion:2022

Host chained
  ProxyJump a,b
`), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := &targets.Inventory{
		Path: "/etc/gameday/inventory.yaml",
		Hosts: []targets.Host{
			{Name: "bastion-host", Address: "10.0.0.1", SSH: targets.SSH{User: "ops"}},
		},
	}
	type want struct {
		key, user, addr, knownHosts, identity, err string
	}
	cases := map[string]struct {
		def  targets.SSH
		host targets.Host
		want want
	}{
		"ssh_config fills everything": {
			host: targets.Host{Name: "a", Address: "alias"},
			want: want{key: "scuser@real.example:2200 via jumper@bastion:2022", user: "scuser", addr: "real.example:2200",
				knownHosts: home + "/kh_from_config", identity: home + "/.ssh/from_config"},
		},
		"inventory defaults win over ssh_config": {
			def:  targets.SSH{User: "invuser", Port: 22, IdentityFile: "keys/id", KnownHosts: "/abs/kh", Jump: "none"},
			host: targets.Host{Name: "a", Address: "alias"},
			want: want{key: "invuser@real.example:22", user: "invuser", addr: "real.example:22",
				knownHosts: "/abs/kh", identity: "/etc/gameday/keys/id"},
		},
		"host settings win over inventory defaults": {
			def:  targets.SSH{User: "invuser", Port: 22},
			host: targets.Host{Name: "a", Address: "10.9.9.9", SSH: targets.SSH{User: "root", Port: 2222, Jump: "bastion-host"}},
			want: want{key: "root@10.9.9.9:2222 via ops@10.0.0.1:22", user: "root", addr: "10.9.9.9:2222",
				knownHosts: home + "/.ssh/known_hosts", identity: home + "/.ssh/id_ed25519"},
		},
		"chained jumps refused": {
			host: targets.Host{Name: "c", Address: "chained"},
			want: want{err: `host c: ProxyJump "a,b" chains several hops; gameday supports one`},
		},
		"bad jump port": {
			host: targets.Host{Name: "d", Address: "10.1.1.1", SSH: targets.SSH{Jump: "u@h:http"}},
			want: want{err: `jump host "u@h:http": port "http" is not a number from 1 to 65535`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			i := *inv
			i.SSH = tc.def
			p := New(&i, Config{Home: home, SSHConfig: sc})
			s, err := p.settings(tc.host)
			if tc.want.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.err) {
					t.Fatalf("err = %v, want %q", err, tc.want.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{key: s.key, user: s.user, addr: s.addr, knownHosts: s.knownHosts, identity: s.identities[0]}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPortableCarriesWhatTheInventoryKnew(t *testing.T) {
	inv := &targets.Inventory{
		Path: "/srv/gd/inventory.yaml",
		SSH:  targets.SSH{User: "ops", IdentityFile: "keys/id", KnownHosts: "~/kh", Jump: "bastion"},
		Hosts: []targets.Host{
			{Name: "bastion", Address: "10.0.0.1", SSH: targets.SSH{Port: 2022}},
			{Name: "db1", Address: "10.0.0.5", SSH: targets.SSH{User: "root"}},
		},
	}
	got := Portable(inv, inv.Hosts[1])
	want := targets.SSH{User: "root", IdentityFile: "/srv/gd/keys/id", KnownHosts: filepath.Join(os.Getenv("HOME"), "kh"), Jump: "ops@10.0.0.1:2022"}
	if got.SSH != want {
		t.Fatalf("Portable(db1).SSH = %+v, want %+v", got.SSH, want)
	}
	if b := Portable(inv, inv.Hosts[0]); b.SSH.Jump != "" {
		t.Fatalf("the jump host got a jump itself: %+v", b.SSH)
	}
}
