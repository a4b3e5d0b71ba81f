package targets

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// Host returns the host with that name.
func (inv *Inventory) Host(name string) (Host, bool) {
	for _, h := range inv.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// Select returns the hosts a selector names, in inventory order and
// without duplicates. A selector is a host name, "tag:NAME", "role:NAME",
// or a comma-separated list of those (their union). A part that matches no
// host is an error with a did-you-mean hint, so a typo never silently
// targets nothing.
func (inv *Inventory) Select(selector string) ([]Host, error) {
	if strings.TrimSpace(selector) == "" {
		return nil, fmt.Errorf("empty host selector; give a host name, tag:NAME or role:NAME")
	}
	chosen := make([]bool, len(inv.Hosts))
	for _, part := range strings.Split(selector, ",") {
		part = strings.TrimSpace(part)
		if err := inv.mark(part, chosen); err != nil {
			return nil, err
		}
	}
	var out []Host
	for i, h := range inv.Hosts {
		if chosen[i] {
			out = append(out, h)
		}
	}
	return out, nil
}

func (inv *Inventory) mark(part string, chosen []bool) error {
	if part == "" {
		return fmt.Errorf("empty entry in host selector; separate names with single commas")
	}
	kind, value, hasKind := strings.Cut(part, ":")
	if !hasKind {
		for i, h := range inv.Hosts {
			if h.Name == part {
				chosen[i] = true
				return nil
			}
		}
		return fmt.Errorf("no host named %q in the inventory%s", part, yamldoc.DidYouMean(part, inv.hostNames()))
	}
	var labels func(Host) []string
	switch kind {
	case "tag":
		labels = func(h Host) []string { return h.Tags }
	case "role":
		labels = func(h Host) []string { return h.Roles }
	default:
		return fmt.Errorf("unknown selector %q: use a host name, tag:NAME or role:NAME", part)
	}
	found := false
	var all []string
	for i, h := range inv.Hosts {
		if slices.Contains(labels(h), value) {
			chosen[i], found = true, true
		}
		all = append(all, labels(h)...)
	}
	if !found {
		return fmt.Errorf("no host has %s %q%s", kind, value, yamldoc.DidYouMean(value, all))
	}
	return nil
}

func (inv *Inventory) hostNames() []string {
	names := make([]string, len(inv.Hosts))
	for i, h := range inv.Hosts {
		names[i] = h.Name
	}
	return names
}

// ServiceRef names one service of the inventory.
type ServiceRef struct {
	Kind string // "kafka", "cassandra", "redis", "prometheus", "http" or "command"
	Name string
}

// String renders "kind/name", e.g. "redis/cache".
func (s ServiceRef) String() string { return s.Kind + "/" + s.Name }

// EachClustered calls fn for each Kafka, Cassandra and Redis service, in
// that order, with its hosts: the services whose hosts hold a quorum,
// which a fault's blast radius weighs.
func (s Services) EachClustered(fn func(kind, name string, hosts []string)) {
	for _, k := range s.Kafka {
		fn("kafka", k.Name, k.Hosts)
	}
	for _, c := range s.Cassandra {
		fn("cassandra", c.Name, c.Hosts)
	}
	for _, r := range s.Redis {
		fn("redis", r.Name, r.Hosts)
	}
}

// ServicesOf returns the services that list host among their hosts: what a
// fault on that host can hurt (its blast radius).
func (inv *Inventory) ServicesOf(host string) []ServiceRef {
	var out []ServiceRef
	add := func(kind, name string, hosts []string) {
		if slices.Contains(hosts, host) {
			out = append(out, ServiceRef{Kind: kind, Name: name})
		}
	}
	inv.Services.EachClustered(add)
	for _, s := range inv.Services.HTTP {
		add("http", s.Name, s.Hosts)
	}
	for _, s := range inv.Services.Command {
		add("command", s.Name, []string{s.Host})
	}
	return out
}

// SSHFor returns the host's SSH settings with empty fields filled from the
// inventory's defaults. Fields still empty fall back to ~/.ssh/config and
// ssh's own defaults at connection time. A default jump host is not applied
// to the jump host itself.
func (inv *Inventory) SSHFor(h Host) SSH {
	s, d := h.SSH, inv.SSH
	if s.User == "" {
		s.User = d.User
	}
	if s.Port == 0 {
		s.Port = d.Port
	}
	if s.IdentityFile == "" {
		s.IdentityFile = d.IdentityFile
	}
	if s.KnownHosts == "" {
		s.KnownHosts = d.KnownHosts
	}
	if s.Jump == "" && d.Jump != h.Name {
		s.Jump = d.Jump
	}
	return s
}
