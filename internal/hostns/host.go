package hostns

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
)

// Host is one namespace host.
type Host struct {
	// Name is the inventory name ("host1", "broker-2").
	Name string
	// NS is the network namespace name.
	NS string
	// Addr is the host's IPv4 address on its network.
	Addr string
	// Dir holds its keys, configs and logs (created by AddHost).
	Dir string
	// HostKeyLine is the host's known_hosts line (set by StartSSHD).
	HostKeyLine string
	// AuthorizedKeys is the file sshd reads the login keys from.
	AuthorizedKeys string
	// OwnPIDs gives the host a PID namespace of its own, with its own
	// /proc: its sessions see only its processes (pgrep -f on one host
	// never finds another host's JVM), and every process in it, daemons
	// started over SSH included, dies with the host.
	OwnPIDs bool
	// Mounts are tmpfs file systems mounted inside the host's mount
	// namespace before sshd starts: its sessions and the processes Start
	// runs see them, the machine does not, and they go with the host.
	Mounts []Mount

	sshd    *proc.Child
	sshdPID int // the listening sshd; with OwnPIDs, unshare's child
	logPath string
}

// Mount is a tmpfs of SizeMB MiB on Dir (an existing directory).
type Mount struct {
	Dir    string
	SizeMB int
}

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

// hostScript runs as the host's first process: a private /run (state
// files and guards that gameday keeps in /run on one host are not seen
// by the others, as on real hosts), the tmpfs mounts, then sshd.
const hostScript = `cfg=$1; shift
mount -t tmpfs -o mode=0755,size=16m gameday-run /run || exit 1
mkdir -m 0755 /run/sshd || exit 1
while [ $# -ge 2 ]; do mount -t tmpfs -o "size=$2m,mode=0755" gameday-data "$1" || exit 1; shift 2; done
exec /usr/sbin/sshd -D -e -f "$cfg"`

// StartSSHD writes h's host key and sshd config and starts sshd in h's
// namespace (authorizing h.AuthorizedKeys), with h's mounts, in a PID
// namespace of its own with h.OwnPIDs. It returns once sshd listens.
func (h *Host) StartSSHD() error {
	key := filepath.Join(h.Dir, "ssh_host_ed25519_key")
	if err := Keygen(key, "gameday-nshost"); err != nil {
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
	cfg := filepath.Join(h.Dir, "sshd_config")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, sshdConfig, h.Addr, h.Dir, h.AuthorizedKeys), 0o600); err != nil {
		return err
	}
	// ip netns exec gives what it runs a mount namespace of its own.
	argv := []string{"ip", "netns", "exec", h.NS}
	if h.OwnPIDs {
		// unshare's child is PID 1 of the new namespace; --kill-child
		// ties it to unshare, which dies with us (proc.Start): when PID 1
		// dies the kernel kills everything in its namespace.
		argv = append(argv, "unshare", "--pid", "--fork", "--kill-child", "--mount-proc")
	}
	argv = append(argv, "sh", "-c", hostScript, "gameday-host", cfg)
	for _, m := range h.Mounts {
		argv = append(argv, m.Dir, strconv.Itoa(m.SizeMB))
	}
	h.logPath = filepath.Join(h.Dir, "sshd.log")
	c, err := proc.Start(proc.Spec{Argv: argv, Log: h.logPath})
	if err != nil {
		return fmt.Errorf("start sshd in %s: %w", h.NS, err)
	}
	h.sshd, h.sshdPID = c, c.PID()
	if h.OwnPIDs {
		if h.sshdPID, err = childOf(c); err != nil {
			h.Kill()
			return fmt.Errorf("sshd in %s: %w", h.NS, err)
		}
	}
	if err := WaitListening(h.Addr+":22", c, h.logPath); err != nil {
		h.Kill()
		return fmt.Errorf("sshd on %s: %w", h.Name, err)
	}
	return nil
}

// childOf waits for c's first child (unshare's PID 1) and returns its pid.
func childOf(c *proc.Child) (int, error) {
	path := fmt.Sprintf("/proc/%d/task/%d/children", c.PID(), c.PID())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if c.Exited() {
			return 0, fmt.Errorf("exited at start")
		}
		b, _ := os.ReadFile(path)
		if f := strings.Fields(string(b)); len(f) > 0 {
			return strconv.Atoi(f[0])
		}
	}
	return 0, fmt.Errorf("unshare started no child within 10s")
}

// SSHDPid returns the PID of h's listening sshd (its first process).
func (h *Host) SSHDPid() int { return h.sshdPID }

// SSHDLog returns what h's sshd has logged, for failure messages.
func (h *Host) SSHDLog() string {
	b, _ := os.ReadFile(h.logPath)
	return string(b)
}

// Kill SIGKILLs h's sshd and waits for it; with OwnPIDs every process of
// the host goes with it. A host never started is fine.
func (h *Host) Kill() {
	if h == nil || h.sshd == nil {
		return
	}
	if h.sshdPID != h.sshd.PID() {
		syscall.Kill(h.sshdPID, syscall.SIGKILL)
	}
	_ = h.sshd.Signal(syscall.SIGKILL)
	h.sshd.Wait(5 * time.Second)
}

// enter is the nsenter prefix that runs a command as if on h: in its
// network and mount namespaces (where its /run and mounts are) and, with
// OwnPIDs, its PID namespace.
func (h *Host) enter() []string {
	argv := []string{"nsenter", "-t", strconv.Itoa(h.sshdPID), "-n", "-m"}
	if h.OwnPIDs {
		argv = append(argv, "-p")
	}
	return argv
}

// Exec runs argv as if on h and returns its combined output and error.
func (h *Host) Exec(argv ...string) (string, error) {
	return Run(append(h.enter(), argv...)...)
}

// Spec turns s into the spec of the same process run as if on h: in its
// namespaces (nsenter), s.Dir, if set, its working directory there.
func (h *Host) Spec(s proc.Spec) proc.Spec {
	argv := h.enter()
	if s.Dir != "" {
		argv = append(argv, "--wd="+s.Dir)
	}
	s.Argv = append(append(argv, "--"), s.Argv...)
	return s
}

// Start starts a long-running process as if on h, under the process
// supervisor: it dies with this process, and with OwnPIDs also with the
// host.
func (h *Host) Start(s proc.Spec) (*proc.Child, error) { return proc.Start(h.Spec(s)) }

// WaitListening waits until addr accepts TCP connections, or c exits, or
// 10 s pass.
func WaitListening(addr string, c *proc.Child, log string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.Done():
			b, _ := os.ReadFile(log)
			return fmt.Errorf("exited before listening on %s: %s", addr, b)
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after 10s (log %s)", addr, log)
}

// WriteKnownHosts writes a known_hosts file listing every host's key.
func WriteKnownHosts(path string, hosts []*Host) error {
	var lines []string
	for _, h := range hosts {
		lines = append(lines, h.HostKeyLine)
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}
