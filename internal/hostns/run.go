// Package hostns makes hosts out of Linux namespaces: each host is a
// network namespace joined by a veth pair to a bridge in a private "hub"
// namespace, with its own address on a private /24 that exists only among
// the namespaces made here and an uplink from the root namespace, its own
// /etc/passwd (root's shell is /bin/sh, so no machine rc file runs in its
// sessions), Debian's sshd with a private /run, and optionally its own
// PID namespace (its own process table, as a real host has) and tmpfs
// mounts seen only inside it.
//
// The namespace test hosts of inject/nshost and the SSH full lab
// (`gameday lab up --full --ssh`) are both built here. Everything runs
// under the process supervisor (internal/proc): a host dies with the
// process that made it, even one SIGKILLed.
package hostns

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// EtcNetns is where `ip netns exec` finds per-namespace /etc files, which
// it bind-mounts over /etc for everything it starts in that namespace.
const EtcNetns = "/etc/netns"

// Run runs a command and returns its combined output, or an error quoting
// it.
func Run(argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// Require checks the tools hosts need, naming the Debian package of the
// first one missing.
func Require(extra map[string]string) error {
	need := map[string]string{"ip": "iproute2", "/usr/sbin/sshd": "openssh-server", "ssh-keygen": "openssh-client", "nsenter": "util-linux", "unshare": "util-linux"}
	for k, v := range extra {
		need[k] = v
	}
	for bin, pkg := range need {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s is missing; install Debian's %s (scripts/deps.sh does)", bin, pkg)
		}
	}
	return nil
}

// Keygen writes a fresh passphrase-less ed25519 key pair at path.
func Keygen(path, comment string) error {
	_, err := Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path)
	return err
}

// RemoveNamespace SIGKILLs every process still in network namespace ns
// (sshd session children, guards started over SSH, daemons) and deletes
// it with its /etc files. A namespace that does not exist is not an error.
func RemoveNamespace(ns string) error {
	if _, err := os.Stat("/run/netns/" + ns); os.IsNotExist(err) {
		return os.RemoveAll(EtcNetns + "/" + ns)
	}
	out, _ := Run("ip", "netns", "pids", ns)
	for _, f := range strings.Fields(out) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_, err := Run("ip", "netns", "del", ns)
	os.RemoveAll(EtcNetns + "/" + ns)
	return err
}

// Namespaces lists the network namespace names that exist (or left
// /etc/netns files behind) and match keep.
func Namespaces(keep func(name string) bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, dir := range []string{"/run/netns", EtcNetns} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if n := e.Name(); !seen[n] && keep(n) {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}
