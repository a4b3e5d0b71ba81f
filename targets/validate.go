package targets

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// LabKinds are the kinds of lab node a lab host may stand for.
var LabKinds = []string{"redis", "sentinel", "kafka", "cassandra", "toxiproxy"}

// validate checks what the decoder cannot: required fields, references
// between hosts and services, address forms and secret references.
func validate(inv *Inventory, r *yamldoc.Doc) {
	v := &validator{inv: inv, r: r, byName: map[string]Host{}}
	for _, h := range inv.Hosts {
		if _, dup := v.byName[h.Name]; !dup {
			v.byName[h.Name] = h
		}
	}
	if len(inv.Hosts) == 0 && inv.Services.count() == 0 && !r.Failed("") && !r.Suggested("hosts") && !r.Suggested("services") {
		r.At(Pos{Line: 1, Col: 1}, "", "the inventory lists no hosts and no services")
	}
	v.ssh("ssh", inv.SSH, "")
	v.toxiproxy()
	v.hosts()
	v.services()
	if inv.Lab != nil {
		v.optionalHostPort("lab.control", inv.Lab.Control)
		v.optionalHostPort("lab.toxiproxy", inv.Lab.Toxiproxy)
	}
}

type validator struct {
	inv *Inventory
	r   *yamldoc.Doc
	// byName indexes hosts (the first of a duplicated name), so checks stay
	// linear in the size of the file.
	byName map[string]Host
}

// problem reports unless the field already has a problem (yamldoc.Doc.Add).
func (v *validator) problem(field, format string, args ...any) {
	v.r.Add(field, format, args...)
}

func (v *validator) hosts() {
	first := map[string]int{}
	for i, h := range v.inv.Hosts {
		path := yamldoc.Index("hosts", i)
		v.named(first, "hosts", i, h.Name, "host")
		switch {
		case h.Address == "" && h.Lab == nil && h.Toxiproxy == nil:
			v.problem(path+".address", "missing; a host needs an address (or a lab block)")
		case h.Address != "":
			v.address(path+".address", h.Address)
		}
		v.ssh(path+".ssh", h.SSH, h.Name)
		v.labels(path+".tags", h.Tags)
		v.labels(path+".roles", h.Roles)
		if h.Lab != nil {
			v.labNode(path+".lab", *h.Lab)
		}
		if h.Toxiproxy != nil {
			v.hostToxiproxy(path+".toxiproxy", h)
		}
	}
	v.jumpCycles()
}

// named checks the name of entry i of a list (hosts, toxiproxy servers):
// a plain word no earlier entry holds (first: the names seen so far).
func (v *validator) named(first map[string]int, list string, i int, name, what string) {
	path := yamldoc.Index(list, i)
	v.name(path, name, what)
	if j, dup := first[name]; dup && name != "" {
		v.problem(path+".name", "%q already names %s[%d] (line %d); %s names must be unique", name, list, j, v.r.PosOf(yamldoc.Index(list, j)).Line, what)
	} else {
		first[name] = i
	}
}

// name checks a host or service name: selectors split on commas and
// colons, so names cannot contain them.
func (v *validator) name(path, name, what string) {
	switch {
	case strings.TrimSpace(name) == "":
		v.problem(path+".name", "missing; every %s needs a name", what)
	case !plainWord(name):
		v.problem(path+".name", "%q contains a space, comma or colon; %s names are plain words such as redis-1", name, what)
	}
}

// plainWord reports whether s is non-empty and free of spaces, control
// characters, commas and colons (the selector syntax).
func plainWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == ',' || r == ':' {
			return false
		}
	}
	return true
}

func (v *validator) address(path, addr string) {
	switch {
	case strings.ContainsAny(addr, " \t/"):
		v.problem(path, "%q is not a host name or IP address", addr)
	case strings.Contains(addr, ":") && net.ParseIP(addr) == nil:
		v.problem(path, "%q includes a port; the address is a host name or IP, put the SSH port in ssh.port", addr)
	}
}

func (v *validator) labels(path string, labels []string) {
	for i, l := range labels {
		if !plainWord(l) {
			v.problem(yamldoc.Index(path, i), "%q is not a valid label; use a plain word such as primary", l)
		}
	}
}

func (v *validator) ssh(path string, s SSH, self string) {
	if s.Port != 0 && (s.Port < 1 || s.Port > 65535) {
		v.problem(path+".port", "%d is not a port; want 1–65535", s.Port)
	}
	if strings.ContainsAny(s.User, " \t@:") {
		v.problem(path+".user", "%q is not a user name", s.User)
	}
	if s.Jump == "" {
		return
	}
	if self != "" && s.Jump == self {
		v.problem(path+".jump", "a host cannot be its own jump host")
		return
	}
	if _, ok := v.byName[s.Jump]; ok {
		return
	}
	// A bare word close to a host name is a typo more often than a DNS name.
	if !strings.ContainsAny(s.Jump, ".:@") {
		if m := yamldoc.Suggest(s.Jump, v.inv.hostNames()); m != "" {
			v.problem(path+".jump", "no host named %q in hosts; did you mean %q? (a machine outside the inventory is written user@host:port)", s.Jump, m)
			return
		}
	}
	if err := checkJump(s.Jump); err != nil {
		v.problem(path+".jump", "%v", err)
	}
}

// checkJump checks a ProxyJump value that is not an inventory host:
// [user@]host[:port].
func checkJump(j string) error {
	hostPort := j
	if at := strings.LastIndex(j, "@"); at >= 0 {
		hostPort = j[at+1:]
		if at == 0 {
			return fmt.Errorf("%q has an empty user before @", j)
		}
	}
	host := hostPort
	if strings.Contains(hostPort, ":") && net.ParseIP(hostPort) == nil {
		h, port, err := net.SplitHostPort(hostPort)
		if err != nil {
			return fmt.Errorf("%q is neither an inventory host nor user@host:port", j)
		}
		if _, err := parsePort(port); err != nil {
			return fmt.Errorf("%q: %v", j, err)
		}
		host = h
	}
	if host == "" || strings.ContainsAny(host, " \t/,") {
		return fmt.Errorf("%q is neither an inventory host nor user@host:port", j)
	}
	return nil
}

// jumpCycles reports hosts whose chain of inventory jump hosts loops.
func (v *validator) jumpCycles() {
	for i, h := range v.inv.Hosts {
		seen := map[string]bool{h.Name: true}
		cur := h
		for {
			next, ok := v.byName[v.inv.SSHFor(cur).Jump]
			if !ok {
				break
			}
			if seen[next.Name] {
				if next.Name == h.Name && cur.Name != h.Name {
					v.problem(yamldoc.Index("hosts", i)+".ssh.jump", "jump hosts form a loop through %s", cur.Name)
				}
				break
			}
			seen[next.Name] = true
			cur = next
		}
	}
}

func (v *validator) labNode(path string, n LabNode) {
	if !slices.Contains(LabKinds, n.Kind) {
		if n.Kind == "" {
			v.problem(path+".kind", "missing; want one of %s", strings.Join(LabKinds, ", "))
		} else {
			v.problem(path+".kind", "unknown lab node kind %q%s (want one of %s)", n.Kind, yamldoc.DidYouMean(n.Kind, LabKinds), strings.Join(LabKinds, ", "))
		}
	}
	if n.PID < 0 {
		v.problem(path+".pid", "%d is not a process id", n.PID)
	}
	v.optionalHostPort(path+".listen", n.Listen)
}

func (v *validator) optionalHostPort(path, hp string) {
	if hp == "" {
		return
	}
	if err := checkHostPort(hp); err != nil {
		v.problem(path, "%v", err)
	}
}

// checkHostPort accepts "host:port" with a numeric port in range.
func checkHostPort(hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		if !strings.Contains(hp, ":") {
			return fmt.Errorf("%q has no port", hp)
		}
		if strings.Count(hp, ":") > 1 && !strings.HasPrefix(hp, "[") {
			return fmt.Errorf("%q is not host:port (an IPv6 address goes in brackets: [::1]:9092)", hp)
		}
		return fmt.Errorf("%q is not host:port", hp)
	}
	if host == "" || strings.ContainsAny(host, " \t/,") {
		return fmt.Errorf("%q has no valid host before the port", hp)
	}
	if _, err := parsePort(port); err != nil {
		return fmt.Errorf("%q: %v", hp, err)
	}
	return nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("port %q is not a number", s)
	}
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %d is out of range 1–65535", p)
	}
	return p, nil
}
