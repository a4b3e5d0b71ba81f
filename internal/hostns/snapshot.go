package hostns

import (
	"regexp"
	"strings"
)

var (
	iptCounters = regexp.MustCompile(`\[\d+:\d+\]`)
	nftCounters = regexp.MustCompile(`packets \d+ bytes \d+`)
)

// Snapshot returns host h's state as gameday could touch it: gameday's
// state files (in the host's private /run), iptables-save (IPv4 and
// IPv6), nft list ruleset, every qdisc, class and filter, then the output
// of each extra command, with comments and packet counters removed so
// that two snapshots of an unchanged host are equal.
func (h *Host) Snapshot(extra ...[]string) string {
	var sb strings.Builder
	cmds := append([][]string{
		{"sh", "-c", "find /run/gameday /tmp/gameday-guards -mindepth 1 2>/dev/null | sort"},
		{"iptables-save"},
		{"ip6tables-save"},
		{"nft", "list", "ruleset"},
		{"tc", "qdisc", "show"},
		{"tc", "class", "show", "dev", "eth0"},
		{"tc", "filter", "show", "dev", "eth0"},
		{"tc", "filter", "show", "dev", "eth0", "ingress"},
	}, extra...)
	for _, argv := range cmds {
		out, err := h.Exec(argv...)
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
