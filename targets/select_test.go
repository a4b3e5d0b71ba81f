package targets

import (
	"reflect"
	"testing"
)

func loadStaging(t *testing.T) *Inventory {
	t.Helper()
	inv, err := Load("testdata/valid/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestSelect(t *testing.T) {
	inv := loadStaging(t)
	tests := map[string]struct {
		selector string
		want     []string
		wantErr  string
	}{
		"host name":         {selector: "kafka-2", want: []string{"kafka-2"}},
		"tag":               {selector: "tag:az-a", want: []string{"kafka-1", "cass-1", "redis-1"}},
		"role":              {selector: "role:broker", want: []string{"kafka-1", "kafka-2"}},
		"union in order":    {selector: "redis-1, tag:kafka,kafka-1", want: []string{"kafka-1", "kafka-2", "redis-1"}},
		"unknown host":      {selector: "kafak-1", wantErr: `no host named "kafak-1" in the inventory; did you mean "kafka-1"?`},
		"unknown tag":       {selector: "tag:cassandr", wantErr: `no host has tag "cassandr"; did you mean "cassandra"?`},
		"unknown role":      {selector: "role:replica", wantErr: `no host has role "replica"`},
		"unknown kind":      {selector: "group:x", wantErr: `unknown selector "group:x": use a host name, tag:NAME or role:NAME`},
		"empty":             {selector: " ", wantErr: "empty host selector; give a host name, tag:NAME or role:NAME"},
		"empty list member": {selector: "kafka-1,,kafka-2", wantErr: "empty entry in host selector; separate names with single commas"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			hosts, err := inv.Select(tc.selector)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hosts {
				got = append(got, h.Name)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Select(%q) = %v, want %v", tc.selector, got, tc.want)
			}
		})
	}
}

func TestServicesOf(t *testing.T) {
	inv := loadStaging(t)
	tests := map[string][]ServiceRef{
		"kafka-1": {{Kind: "kafka", Name: "events"}},
		"cass-1":  {{Kind: "cassandra", Name: "ledger"}},
		"bastion": nil,
	}
	for host, want := range tests {
		if got := inv.ServicesOf(host); !reflect.DeepEqual(got, want) {
			t.Errorf("ServicesOf(%q) = %v, want %v", host, got, want)
		}
	}
	if got := (ServiceRef{Kind: "redis", Name: "cache"}).String(); got != "redis/cache" {
		t.Errorf("String = %q", got)
	}
}

func TestSSHFor(t *testing.T) {
	inv := loadStaging(t)
	tests := map[string]SSH{
		// Defaults fill what the host leaves empty.
		"kafka-1": {User: "gameday", IdentityFile: "~/.ssh/gameday", KnownHosts: "~/.ssh/known_hosts", Jump: "bastion"},
		// The host's own settings win.
		"redis-1": {User: "ops", Port: 22, IdentityFile: "~/.ssh/gameday", KnownHosts: "~/.ssh/known_hosts", Jump: "ops@bastion.example.net:2222"},
		// The default jump host does not jump through itself.
		"bastion": {User: "gameday", Port: 2222, IdentityFile: "~/.ssh/gameday", KnownHosts: "~/.ssh/known_hosts"},
	}
	for name, want := range tests {
		h, ok := inv.Host(name)
		if !ok {
			t.Fatalf("no host %s", name)
		}
		if got := inv.SSHFor(h); got != want {
			t.Errorf("SSHFor(%s) = %+v, want %+v", name, got, want)
		}
	}
	if _, ok := inv.Host("nope"); ok {
		t.Error("Host(nope) found something")
	}
}
