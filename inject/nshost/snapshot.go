package nshost

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

var (
	iptCounters = regexp.MustCompile(`\[\d+:\d+\]`)
	nftCounters = regexp.MustCompile(`packets \d+ bytes \d+`)
)

// Snapshot returns host h's complete state as gameday could touch it: its
// state files, iptables-save (IPv4 and IPv6), nft list ruleset and every
// qdisc, class and filter, with comments and packet counters removed so that two
// snapshots of an unchanged host are equal.
func (b *Bed) Snapshot(h *Host) string {
	b.tb.Helper()
	var sb strings.Builder
	// gameday's state files live in the host's private /run.
	files, err := b.ExecHost(h, "sh", "-c", "find /run/gameday /tmp/gameday-guards -mindepth 1 2>/dev/null | sort")
	if err != nil {
		files = "error: " + err.Error()
	}
	sb.WriteString("$ gameday's files\n" + files)
	for _, argv := range [][]string{
		{"iptables-save"},
		{"ip6tables-save"},
		{"nft", "list", "ruleset"},
		{"tc", "qdisc", "show"},
		{"tc", "class", "show", "dev", "eth0"},
		{"tc", "filter", "show", "dev", "eth0"},
		{"tc", "filter", "show", "dev", "eth0", "ingress"},
	} {
		out, err := b.TryExec(h, argv...)
		if err != nil {
			out = "error: " + err.Error()
		}
		sb.WriteString("$ " + strings.Join(argv, " ") + "\n")
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") || line == "" {
				continue
			}
			line = iptCounters.ReplaceAllString(line, "[0:0]")
			line = nftCounters.ReplaceAllString(line, "packets 0 bytes 0")
			sb.WriteString(line + "\n")
		}
	}
	return sb.String()
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
