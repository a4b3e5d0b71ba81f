package inject

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"
	"time"
)

// qdiscHandle is the tc handle (hex major, no colon) that fault id owns.
// Deriving it from the ID lets a revert find exactly its own qdisc on any
// device without remembering which device it was put on.
func qdiscHandle(id string) (root, child string) {
	h := fnv.New32a()
	h.Write([]byte(id))
	v := 0x1000 + h.Sum32()%0xe000 // 0x1000…0xeffe: clear of 0 and ffff
	return fmt.Sprintf("%x", v), fmt.Sprintf("%x", v+1)
}

// devLine picks the device into $dev: the operator's, or the default
// route's.
func devLine(dev string) string {
	if dev != "" {
		return "dev=" + Quote(dev)
	}
	return lines(
		`dev=$(ip -o route show default 2>/dev/null | awk '{for(i=1;i<NF;i++) if($i=="dev"){print $(i+1); exit}}')`,
		`[ -n "$dev" ] || { echo "no default route to pick a device from; give param dev" >&2; exit 3; }`)
}

// qdiscProbe tries a qdisc kind on a throwaway, down veth pair, so that the
// host's real devices are never touched by the detection.
func qdiscProbe(id, what, failHint string, tcArgs ...string) Step {
	root, _ := qdiscHandle(id)
	p := "gdp" + root
	return Step{
		Name: "detect " + what,
		Script: lines(
			`p=`+Quote(p),
			`if ip link add "$p"a type veth peer name "$p"b 2>/dev/null; then`,
			`  err=$(tc qdisc add dev "$p"a root `+Quote(tcArgs...)+` 2>&1); rc=$?`,
			`  ip link del "$p"a 2>/dev/null`,
			`  [ "$rc" -eq 0 ] || { echo "$err" >&2; exit 3; }`,
			`elif command -v modprobe >/dev/null 2>&1; then`,
			`  modprobe -n -q `+Quote("sch_"+what)+` || { echo "Specified qdisc kind is unknown" >&2; exit 3; }`,
			`fi`),
		Fail: "this host's kernel has no sch_" + what + " (tc " + what + ": %s); " + failHint,
	}
}

// rootFreeStep refuses a device whose root qdisc someone configured: gameday
// replaces only the kernel's default root (handle 0:) and removes only its
// own, so whatever an operator set up is never clobbered.
func rootFreeStep(dev string) Step {
	return Step{
		Name: "check root qdisc",
		Script: lines(devLine(dev),
			`cur=$(tc qdisc show dev "$dev" root 2>&1) || { echo "$cur" >&2; exit 3; }`,
			`case "$cur" in ""|*" 0: root"*) ;; *) echo "device $dev already has a root qdisc ($cur); gameday does not replace qdiscs it does not own" >&2; exit 3;; esac`),
		Fail: "%s",
	}
}

// tcPlan builds the plan shared by latency, loss and bandwidth: the qdisc
// args go on the root of the device (or, with peers, on a prio band that
// only traffic to the peers is filtered into).
func tcPlan(t PlanTarget, dev string, peers []string, detect []Step, qdisc []string) (ShellPlan, error) {
	root, child := qdiscHandle(t.ID)
	var inject []string
	inject = append(inject, devLine(dev))
	if len(peers) == 0 {
		inject = append(inject, `tc qdisc add dev "$dev" root `+Quote(append([]string{"handle", root + ":"}, qdisc...)...))
	} else {
		addrs, err := peerAddrs(t, peers)
		if err != nil {
			return ShellPlan{}, err
		}
		inject = append(inject,
			`tc qdisc add dev "$dev" root `+Quote("handle", root+":", "prio", "bands", "4", "priomap", "1", "2", "2", "2", "1", "2", "0", "0", "1", "1", "1", "1", "1", "1", "1", "1"),
			`tc qdisc add dev "$dev" `+Quote(append([]string{"parent", root + ":4", "handle", child + ":"}, qdisc...)...))
		for _, a := range addrs {
			pfx, err := netip.ParsePrefix(a)
			if err != nil {
				pfx = netip.PrefixFrom(netip.MustParseAddr(a), 32)
			}
			if !pfx.Addr().Is4() {
				return ShellPlan{}, fmt.Errorf("peer %s: tc peer filters take IPv4 addresses only", a)
			}
			inject = append(inject, `tc filter add dev "$dev" `+Quote("parent", root+":", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", pfx.String(), "flowid", root+":4"))
		}
	}
	present := forEachDevice(lines(rootHandleMatch(root)+` && exit 0`)) + "\nexit 1"
	return ShellPlan{
		Detect: append(detect, rootFreeStep(dev)),
		Inject: []Step{{Name: "add qdisc " + root + ":", Script: lines(inject...)}},
		Verify: []Step{{Name: "qdisc " + root + ": present", Script: present}},
		Revert: []Step{{Name: "delete qdisc " + root + ":", Script: forEachDevice(
			`if ` + rootHandleMatch(root) + `; then tc qdisc del dev "$n" root || exit 1; fi`)}},
		VerifyGone: []Step{{Name: "qdisc " + root + ": gone", Script: forEachDevice(rootHandleMatch(root)+` && exit 1`) + "\nexit 0"}},
	}, nil
}

// expandPeers turns the host selectors among peers (tag:dc2, role:replica,
// as hosts are chosen) into the inventory names they select now, leaving
// out the faulted host itself; names, IPs and prefixes pass through.
func expandPeers(t PlanTarget, peers []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range peers {
		if isAddress(p) || !strings.Contains(p, ":") {
			add(p)
			continue
		}
		if t.Inv == nil {
			return nil, fmt.Errorf("peer %q is a host selector, and there is no inventory to select from", oneLine(p))
		}
		hosts, err := t.Inv.Select(p)
		if err != nil {
			return nil, fmt.Errorf("peer %s: %w", oneLine(p), err)
		}
		n := len(out)
		for _, h := range hosts {
			if h.Name != t.Host.Name {
				add(h.Name)
			}
		}
		if len(out) == n && len(hosts) > 0 {
			return nil, fmt.Errorf("peer %s selects no host but %s itself", oneLine(p), t.Host.Name)
		}
	}
	return out, nil
}

// peerAddrs resolves peers given as inventory host names or selectors to
// their addresses; IPs and CIDR prefixes pass through.
func peerAddrs(t PlanTarget, peers []string) ([]string, error) {
	peers, err := expandPeers(t, peers)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(peers))
	for _, p := range peers {
		if isAddress(p) {
			out = append(out, p)
			continue
		}
		found := false
		if t.Inv != nil {
			for _, h := range t.Inv.Hosts {
				if h.Name == p {
					if !isAddress(h.Address) {
						return nil, fmt.Errorf("peer %s: its address %q is not an IP address", p, h.Address)
					}
					out = append(out, h.Address)
					found = true
					break
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("peer %q is neither an inventory host nor an IP address", oneLine(p))
		}
	}
	return out, nil
}

// msArg renders a duration in whole milliseconds, as tc and Toxiproxy take it.
func msArg(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// trimTCError turns "Error: Specified qdisc kind is unknown." into the bare
// reason for a sentence.
func trimTCError(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimPrefix(s, "Error: ")
	return strings.TrimSuffix(s, ".")
}
