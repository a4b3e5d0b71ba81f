package nshost

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sshdConfig is a minimal sshd_config for one namespace host: key-only root
// login, no PAM, everything it writes kept in the host's directory.
const sshdConfig = `ListenAddress %[1]s
Port 22
HostKey %[2]s/ssh_host_ed25519_key
AuthorizedKeysFile %[3]s
PidFile %[2]s/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
MaxSessions 100
MaxStartups 200:30:400
LogLevel VERBOSE
`

// startSSHD writes host h's key and config and starts sshd -D in its
// namespace.
func (b *Bed) startSSHD(h *Host) error {
	key := filepath.Join(h.dir, "ssh_host_ed25519_key")
	if err := keygen(key); err != nil {
		return err
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		return err
	}
	f := strings.Fields(string(pub))
	if len(f) < 2 {
		return fmt.Errorf("malformed host key %s.pub", key)
	}
	h.HostKeyLine = h.Addr + " " + f[0] + " " + f[1]
	authKeys := b.IdentityFile + ".pub"
	if h.authorizedKeys != "" {
		authKeys = h.authorizedKeys
	}
	cfg := filepath.Join(h.dir, "sshd_config")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, sshdConfig, h.Addr, h.dir, authKeys), 0o600); err != nil {
		return err
	}
	// ip netns exec gives sshd its own mount namespace; a fresh tmpfs on
	// /run there gives the host (and every session under it) a private
	// /run, as a real host has: state files and guards that gameday keeps
	// in /run on one host are not seen by the others.
	h.sshd, err = start(h.NS, filepath.Join(h.dir, "sshd.log"), "sh", "-c",
		`mount -t tmpfs -o mode=0755,size=16m gameday-run /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f "$0"`, cfg)
	return err
}

// writeKnownHosts writes the known_hosts file listing every host's key.
func (b *Bed) writeKnownHosts() error {
	var lines []string
	for _, h := range b.Hosts {
		lines = append(lines, h.HostKeyLine)
	}
	return os.WriteFile(b.KnownHosts, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// keygen writes a fresh passphrase-less ed25519 key pair at path.
func keygen(path string) error {
	_, err := run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gameday-nshost", "-f", path)
	return err
}

// SSHDPid returns the PID of host h's listening sshd.
func (h *Host) SSHDPid() int { return h.sshd.Pid() }

// SSHDLog returns what host h's sshd has logged, for failure messages.
func (h *Host) SSHDLog() string {
	b, _ := os.ReadFile(h.sshd.log)
	return string(b)
}
