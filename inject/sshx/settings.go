package sshx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gameday-dev/gameday/targets"
	"github.com/kevinburke/ssh_config"
)

// settings is how to reach one host, resolved from the inventory (first),
// ssh_config (second) and ssh's defaults (last).
type settings struct {
	name string // inventory host name, for messages
	key  string // pool key: user@addr, plus the jump's key
	user string
	addr string // host:port to dial
	// knownHosts is the known_hosts file checked and appended to;
	// extraKnown are read-only ones (/etc/ssh/ssh_known_hosts).
	knownHosts string
	extraKnown []string
	identities []string
	// explicitIdentity is set when identities came from the inventory or
	// ssh_config rather than the ~/.ssh defaults: a missing file is then an
	// error, not something to skip.
	explicitIdentity bool
	jump             *settings
}

// sshConfigs holds the parsed ssh_config files, user's first.
type sshConfigs struct {
	once  sync.Once
	files []*ssh_config.Config
	err   error
}

func (p *Pool) home() string {
	if p.cfg.Home != "" {
		return p.cfg.Home
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "/"
	}
	return h
}

// expand resolves a leading ~ against the home directory.
func (p *Pool) expand(path string) string {
	if path == "~" {
		return p.home()
	}
	if strings.HasPrefix(path, "~/") {
		return filepath.Join(p.home(), path[2:])
	}
	return path
}

// invPath resolves a path written in the inventory: ~ against the home
// directory, a relative path against the inventory file's directory (not
// wherever gameday happens to run).
func (p *Pool) invPath(path string) string {
	path = p.expand(path)
	if !filepath.IsAbs(path) && p.inv != nil && p.inv.Path != "" {
		return filepath.Join(filepath.Dir(p.inv.Path), path)
	}
	return path
}

// loadSSHConfig parses the ssh_config files once.
func (p *Pool) loadSSHConfig() ([]*ssh_config.Config, error) {
	p.sc.once.Do(func() {
		var paths []string
		switch p.cfg.SSHConfig {
		case "none":
		case "":
			paths = []string{filepath.Join(p.home(), ".ssh", "config"), "/etc/ssh/ssh_config"}
		default:
			paths = []string{p.expand(p.cfg.SSHConfig)}
		}
		for i, path := range paths {
			f, err := os.Open(path)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) && (p.cfg.SSHConfig == "" || i > 0) {
					continue
				}
				p.sc.err = fmt.Errorf("ssh config %s: %w", path, err)
				return
			}
			c, err := ssh_config.Decode(f)
			f.Close()
			if err != nil {
				p.sc.err = fmt.Errorf("ssh config %s: %w", path, err)
				return
			}
			p.sc.files = append(p.sc.files, c)
		}
	})
	return p.sc.files, p.sc.err
}

// scGet returns the first value of key for alias across the ssh_config
// files, as ssh does (first obtained value wins).
func (p *Pool) scGet(alias, key string) (string, error) {
	files, err := p.loadSSHConfig()
	if err != nil {
		return "", err
	}
	for _, f := range files {
		v, err := f.Get(alias, key)
		if err != nil {
			return "", fmt.Errorf("ssh config, host %s, %s: %w", alias, key, err)
		}
		if v != "" {
			return v, nil
		}
	}
	return "", nil
}

func (p *Pool) scGetAll(alias, key string) ([]string, error) {
	files, err := p.loadSSHConfig()
	if err != nil {
		return nil, err
	}
	var all []string
	for _, f := range files {
		v, err := f.GetAll(alias, key)
		if err != nil {
			return nil, fmt.Errorf("ssh config, host %s, %s: %w", alias, key, err)
		}
		all = append(all, v...)
	}
	return all, nil
}

// first returns the first non-empty string.
func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// settings resolves how to reach h.
func (p *Pool) settings(h targets.Host) (*settings, error) {
	return p.resolve(h, true)
}

func (p *Pool) resolve(h targets.Host, allowJump bool) (*settings, error) {
	var def targets.SSH
	if p.inv != nil {
		def = p.inv.SSH
	}
	alias := first(h.Address, h.Name)
	name := first(h.Name, alias)
	if alias == "" {
		return nil, errors.New("host has neither a name nor an address")
	}
	hostname, err := p.scGet(alias, "HostName")
	if err != nil {
		return nil, err
	}
	hostname = strings.ReplaceAll(first(hostname, alias), "%h", alias)

	scUser, err := p.scGet(alias, "User")
	if err != nil {
		return nil, err
	}
	usr := first(h.SSH.User, def.User, scUser)
	if usr == "" {
		if u, err := user.Current(); err == nil {
			usr = u.Username
		}
	}

	port := first(portString(h.SSH.Port), portString(def.Port))
	if port == "" {
		if port, err = p.scGet(alias, "Port"); err != nil {
			return nil, err
		}
	}
	if port == "" {
		port = "22"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("host %s: ssh port %q is not a number from 1 to 65535", name, port)
	}

	s := &settings{name: name, user: usr, addr: net.JoinHostPort(hostname, port)}

	if id := first(h.SSH.IdentityFile, def.IdentityFile); id != "" {
		s.identities, s.explicitIdentity = []string{p.invPath(id)}, true
	} else {
		ids, err := p.scGetAll(alias, "IdentityFile")
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			s.identities = append(s.identities, p.expand(id))
		}
		s.explicitIdentity = len(ids) > 0
		if len(ids) == 0 {
			for _, base := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
				s.identities = append(s.identities, filepath.Join(p.home(), ".ssh", base))
			}
		}
	}

	if kh := first(h.SSH.KnownHosts, def.KnownHosts); kh != "" {
		s.knownHosts = p.invPath(kh)
	} else {
		scKH, err := p.scGet(alias, "UserKnownHostsFile")
		if err != nil {
			return nil, err
		}
		if f := strings.Fields(scKH); len(f) > 0 && f[0] != "none" {
			s.knownHosts = p.expand(f[0])
		} else {
			s.knownHosts = filepath.Join(p.home(), ".ssh", "known_hosts")
		}
		if _, err := os.Stat("/etc/ssh/ssh_known_hosts"); err == nil {
			s.extraKnown = []string{"/etc/ssh/ssh_known_hosts"}
		}
	}

	s.key = s.user + "@" + s.addr
	if !allowJump {
		return s, nil
	}
	jump := first(h.SSH.Jump, def.Jump)
	if jump == "" {
		if jump, err = p.scGet(alias, "ProxyJump"); err != nil {
			return nil, err
		}
	}
	if jump == "" || jump == "none" {
		return s, nil
	}
	if strings.Contains(jump, ",") {
		return nil, fmt.Errorf("host %s: ProxyJump %q chains several hops; gameday supports one", name, jump)
	}
	jh, inInventory, err := p.jumpHost(jump)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	if !inInventory {
		// A jump written as [user@]host[:port] has no settings of its own
		// in the inventory: it is reached with the target's key and
		// known_hosts file, the usual bastion setup.
		jh.SSH.IdentityFile = first(h.SSH.IdentityFile, def.IdentityFile)
		jh.SSH.KnownHosts = first(h.SSH.KnownHosts, def.KnownHosts)
	}
	if s.jump, err = p.resolve(jh, false); err != nil {
		return nil, fmt.Errorf("host %s: jump host: %w", name, err)
	}
	s.key += " via " + s.jump.key
	return s, nil
}

// jumpHost turns a ProxyJump value into a host: an inventory host by name
// (inInventory), or "[user@]host[:port]".
func (p *Pool) jumpHost(jump string) (h targets.Host, inInventory bool, err error) {
	if p.inv != nil {
		if h, ok := p.inv.Host(jump); ok {
			return h, true, nil
		}
	}
	rest := jump
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		h.SSH.User, rest = rest[:i], rest[i+1:]
	}
	if host, port, err := net.SplitHostPort(rest); err == nil {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return h, false, fmt.Errorf("jump host %q: port %q is not a number from 1 to 65535", jump, port)
		}
		rest, h.SSH.Port = host, n
	}
	if rest == "" {
		return h, false, fmt.Errorf("jump host %q has no host name", jump)
	}
	h.Name, h.Address = rest, rest
	return h, false, nil
}

func portString(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
