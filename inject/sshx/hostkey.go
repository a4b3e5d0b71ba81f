package sshx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// hostKeyCheck checks a host's key strictly against known_hosts. Its
// callback records the refusal so that the dialer can report it as one
// sentence instead of x/crypto's "handshake failed" wrapping.
type hostKeyCheck struct {
	callback ssh.HostKeyCallback
	algos    []string
	refusal  error
}

// hostKeys builds the check for s: unknown keys are refused unless the
// operator accepted new keys (then appended to s.knownHosts), and changed
// keys are always refused.
func (p *Pool) hostKeys(s *settings) (*hostKeyCheck, error) {
	var files []string
	if _, err := os.Stat(s.knownHosts); err == nil {
		files = append(files, s.knownHosts)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("host %s: known_hosts %s: %w", s.name, s.knownHosts, err)
	}
	files = append(files, s.extraKnown...)
	var db *knownhosts.HostKeyDB
	if len(files) > 0 {
		var err error
		if db, err = knownhosts.NewDB(files...); err != nil {
			return nil, fmt.Errorf("host %s: known_hosts: %w", s.name, err)
		}
	}
	hk := &hostKeyCheck{}
	if db != nil {
		// Ask for the key types known_hosts holds, so that a host with
		// several keys presents the one we can check.
		hk.algos = db.HostKeyAlgorithms(s.addr)
	}
	hk.callback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := errNoKnownHosts
		if db != nil {
			err = db.HostKeyCallback()(hostname, remote, key)
		}
		switch {
		case err == nil:
			return nil
		case db != nil && knownhosts.IsHostKeyChanged(err):
			hk.refusal = fmt.Errorf("host %s (%s) presented a %s key (%s) that does not match %s: refusing to connect (remove the stale line only if you know the host was rebuilt)",
				s.name, hostname, key.Type(), ssh.FingerprintSHA256(key), s.knownHosts)
		case err == errNoKnownHosts || knownhosts.IsHostUnknown(err):
			if p.cfg.AcceptNew {
				if werr := p.appendKnownHost(s.knownHosts, hostname, remote, key); werr != nil {
					hk.refusal = fmt.Errorf("host %s: accepting its new key: %w", s.name, werr)
					return hk.refusal
				}
				return nil
			}
			hk.refusal = fmt.Errorf("host %s (%s) is not in %s: refusing its unknown %s key %s (verify that fingerprint, then add the key by connecting once with ssh, or run gameday with --accept-new-host-keys)",
				s.name, hostname, s.knownHosts, key.Type(), ssh.FingerprintSHA256(key))
		default:
			hk.refusal = fmt.Errorf("host %s: checking its key against %s: %w", s.name, s.knownHosts, err)
		}
		return hk.refusal
	}
	return hk, nil
}

// errNoKnownHosts stands for "unknown" when no known_hosts file exists yet.
var errNoKnownHosts = errors.New("no known_hosts file")

// appendKnownHost appends one known_hosts line (file 0600, directory 0700
// when they have to be created).
func (p *Pool) appendKnownHost(path, hostname string, remote net.Addr, key ssh.PublicKey) error {
	p.khMu.Lock()
	defer p.khMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err := knownhosts.WriteKnownHost(f, hostname, remote, key); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
