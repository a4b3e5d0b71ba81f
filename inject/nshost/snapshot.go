package nshost

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Snapshot returns host h's complete state as gameday could touch it
// (hostns.Host.Snapshot: gameday's state files, iptables-save for both
// families, nft list ruleset, every qdisc, class and filter), so that two
// snapshots of an unchanged host are equal.
func (b *Bed) Snapshot(h *Host) string {
	b.tb.Helper()
	return h.Host.Snapshot()
}

// Signal sends sig to every process in host h's namespace whose command
// name is comm ("sshd", "redis-server"): SIGSTOP on "sshd" makes the host
// hang, listener and open sessions alike. It returns how many it signalled.
func (b *Bed) Signal(h *Host, comm string, sig syscall.Signal) int {
	b.tb.Helper()
	n := 0
	for _, pid := range b.Pids(h, comm) {
		if syscall.Kill(pid, sig) == nil {
			n++
		}
	}
	return n
}

// Pids returns the PIDs of the processes in host h's namespace whose
// command name is comm. For "sshd" they are the listener (SSHDPid) and
// the processes of every open connection.
func (b *Bed) Pids(h *Host, comm string) []int {
	out, _ := run("ip", "netns", "pids", h.NS)
	var pids []int
	for _, f := range strings.Fields(out) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		c, err := os.ReadFile("/proc/" + f + "/comm")
		if err == nil && strings.TrimSpace(string(c)) == comm {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ExecHost runs argv as if on host h: in its network namespace and in its
// sshd's mount namespace (where its private /run is), returning combined
// output and error.
func (b *Bed) ExecHost(h *Host, argv ...string) (string, error) {
	return run(append([]string{"nsenter", "-t", strconv.Itoa(h.SSHDPid()), "-n", "-m"}, argv...)...)
}

// Cmdlines returns the command lines of every process in host h's network
// namespace (daemons, sessions, guards left running), NULs as spaces.
func (b *Bed) Cmdlines(h *Host) []string {
	out, _ := run("ip", "netns", "pids", h.NS)
	var cmds []string
	for _, f := range strings.Fields(out) {
		c, err := os.ReadFile("/proc/" + f + "/cmdline")
		if err != nil || len(c) == 0 {
			continue
		}
		cmds = append(cmds, strings.TrimSpace(strings.ReplaceAll(string(c), "\x00", " ")))
	}
	return cmds
}
