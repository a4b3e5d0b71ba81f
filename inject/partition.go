package inject

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Partition drops a host's traffic from chosen peers (or all but loopback),
// in one or both directions (one way: connections opened that way, so TCP
// still works the other way), with iptables rules in chains gameday owns;
// in the lab it closes the node's proxy or cuts the kfake broker.
type Partition struct {
	Peers     []string // empty: every peer
	Direction Direction
	Flap      *Flap // nil: cut until the TTL or a revert
}

func init() {
	register(30, KindInfo{Name: "partition", Help: "drop traffic from peers or all (iptables; proxy closed in the lab)", Params: []ParamInfo{
		{Name: "peers", Help: "hosts, selectors (tag:x, role:x) or IPs to cut off (comma-separated); default all but loopback"},
		{Name: "direction", Default: "both", Help: "in, out or both, seen from the faulted host"},
		flapParam,
	}}, func(p *params) (Fault, error) {
		f := &Partition{Peers: p.list("peers"), Direction: p.direction("direction", DirBoth), Flap: p.flap()}
		if len(f.Peers) == 1 && f.Peers[0] == "all" {
			f.Peers = nil
		}
		return f, nil
	})
}

func (f *Partition) flapping() *Flap { return f.Flap }

// Kind returns "partition".
func (*Partition) Kind() string { return "partition" }

// TakesDown is true: a partitioned node is out of its cluster.
func (*Partition) TakesDown() bool { return true }

// sparesControl: a partition from everyone must keep gameday's own SSH
// connection (and new ones from its address to the SSH port), or gameday
// could not verify, revert or even see the fault it armed.
func (f *Partition) sparesControl() bool { return len(f.Peers) == 0 }

// partitionChains names the fault's two chains (iptables allows 28 bytes).
func partitionChains(id string) (in, out string) {
	short := id
	if len(short) > 12 {
		short = short[:12]
	}
	return "GAMEDAY-" + short + "-I", "GAMEDAY-" + short + "-O"
}

// ShellPlan creates the fault's chains, fills them with DROP rules and
// jumps to them from INPUT and OUTPUT with a comment naming the fault;
// revert removes exactly those jumps and chains.
func (f *Partition) ShellPlan(t PlanTarget) (ShellPlan, error) {
	addrs, err := peerAddrs(t, f.Peers)
	if err != nil {
		return ShellPlan{}, fmt.Errorf("partition: param peers: %w", err)
	}
	chIn, chOut := partitionChains(t.ID)
	comment := "gameday:" + t.ID
	type table struct {
		cmd   string
		peers []string
	}
	var v4, v6 []string
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is6() || strings.Contains(a, ":") {
			v6 = append(v6, a)
		} else {
			v4 = append(v4, a)
		}
	}
	// ctl is the family whose chains let gameday's own connection through.
	ctl := ""
	if t.Control != nil && len(addrs) == 0 {
		ctl = "iptables"
		if t.Control.Addr.Is6() {
			ctl = "ip6tables"
		}
	}
	tables := []table{{"iptables", v4}}
	if len(addrs) == 0 || len(v6) > 0 {
		tables = append(tables, table{"ip6tables", v6})
	}
	var inject, revert, present, gone []string
	for _, tb := range tables {
		if len(addrs) > 0 && len(tb.peers) == 0 {
			continue
		}
		// ip6tables is optional for "all" on hosts without IPv6 tooling.
		opt := tb.cmd == "ip6tables" && len(addrs) == 0
		// One iptables-restore adds chains, rules and jumps at once: the
		// fault lands whole or not at all, in one process rather than one
		// per rule. Every token is a constant, a fault id, or an address
		// or port already parsed as such.
		restore := []string{"*filter"}
		rule := func(args ...string) { restore = append(restore, strings.Join(args, " ")) }
		for _, side := range []struct {
			skip           Direction
			chain, hook    string
			ifFlag, ipFlag string
		}{{DirOut, chIn, "INPUT", "-i", "-s"}, {DirIn, chOut, "OUTPUT", "-o", "-d"}} {
			if f.Direction == side.skip {
				continue
			}
			rule(":" + side.chain + " - [0:0]")
			if tb.cmd == ctl {
				// gameday's connection returns to the built-in chain
				// before any DROP: both directions, any state.
				addr, port := t.Control.Addr.String(), strconv.Itoa(int(t.Control.Port))
				if side.hook == "INPUT" {
					rule("-A", side.chain, "-s", addr, "-p", "tcp", "--dport", port, "-j", "RETURN")
				} else {
					rule("-A", side.chain, "-d", addr, "-p", "tcp", "--sport", port, "-j", "RETURN")
				}
			}
			// A one-way cut drops only packets of connections opened in
			// the cut direction (conntrack's ORIGINAL direction), so the
			// replies of connections opened the allowed way pass and TCP
			// works that way; unlike --ctstate NEW it also cuts
			// connections of the cut direction already established.
			drop := []string{"-j", "DROP"}
			if f.Direction != DirBoth {
				drop = []string{"-m", "conntrack", "--ctdir", "ORIGINAL", "-j", "DROP"}
			}
			if len(tb.peers) == 0 {
				rule(append([]string{"-A", side.chain, "!", side.ifFlag, "lo"}, drop...)...)
			}
			for _, p := range tb.peers {
				rule(append([]string{"-A", side.chain, side.ipFlag, p}, drop...)...)
			}
			rule("-I", side.hook, "1", "-m", "comment", "--comment", comment, "-j", side.chain)
		}
		rule("COMMIT")
		family := map[string]string{"iptables": "ip", "ip6tables": "ip6"}[tb.cmd]
		marker := stateFile(t.ID, "newtable-"+family)
		// iptables-nft creates the filter table and its base chains on
		// first use and leaves them behind; remember which were not there,
		// so revert removes exactly what gameday made, if still empty, and
		// the ruleset is left as it was.
		pre := []string{statePrelude,
			`t=; nft=`,
			// case, not a pipe into grep: one process less on every host.
			`if case $(` + tb.cmd + ` -V 2>/dev/null) in *nf_tables*) true;; *) false;; esac && command -v nft >/dev/null 2>&1; then`,
			`  nft=1; t=$(nft list table ` + family + ` filter 2>/dev/null) || t=`,
			`  [ -n "$t" ] || : > ` + marker,
			`fi`}
		var undoChains []string
		for _, hook := range []struct {
			skip Direction
			name string
		}{{DirOut, "INPUT"}, {DirIn, "OUTPUT"}} {
			if f.Direction == hook.skip {
				continue
			}
			cm := stateFile(t.ID, "newchain-"+family+"-"+hook.name)
			pre = append(pre, `if [ -n "$nft" ] && [ -n "$t" ]; then case "$t" in *"chain `+hook.name+` {"*) ;; *) : > `+cm+`;; esac; fi`)
			undoChains = append(undoChains,
				`if [ -f `+cm+` ]; then`,
				`  nft list chain `+family+` filter `+hook.name+` 2>/dev/null | grep -qvE '^[[:space:]]*(table ip6? filter \{|chain `+hook.name+` \{|type filter hook [a-z]+ priority filter; policy accept;|\}|)$' || nft delete chain `+family+` filter `+hook.name+` 2>/dev/null`,
				`  rm -f `+cm,
				`fi`)
		}
		restoreCmd := tb.cmd + "-restore"
		body := append(pre, `printf '%s\n' `+Quote(restore...)+` | `+restoreCmd+` -w --noflush`)
		script := "set -e\n" + lines(body...)
		if opt {
			script = "command -v ip6tables >/dev/null 2>&1 || exit 0\n" + script
		}
		inject = append(inject, script)
		for _, hook := range []struct{ builtin, chain string }{{"INPUT", chIn}, {"OUTPUT", chOut}} {
			jump := Quote(hook.builtin, "-m", "comment", "--comment", comment, "-j", hook.chain)
			guard := ""
			if opt {
				guard = "command -v ip6tables >/dev/null 2>&1 && "
			}
			revert = append(revert,
				guard+`while `+tb.cmd+` -w -D `+jump+` 2>/dev/null; do :; done`,
				guard+`if `+tb.cmd+` -w -n -L `+Quote(hook.chain)+` >/dev/null 2>&1; then `+tb.cmd+` -w -F `+Quote(hook.chain)+` && `+tb.cmd+` -w -X `+Quote(hook.chain)+`; fi`)
			check := tb.cmd + ` -w -n -L ` + Quote(hook.chain) + ` >/dev/null 2>&1`
			if opt {
				check = "command -v ip6tables >/dev/null 2>&1 && " + check
			}
			gone = append(gone, check+` && { echo "chain `+hook.chain+` still present" >&2; exit 1; }`)
			wanted := (hook.builtin == "INPUT" && f.Direction != DirOut) || (hook.builtin == "OUTPUT" && f.Direction != DirIn)
			if wanted && !opt {
				present = append(present, tb.cmd+` -w -C `+jump+` || exit 1`)
			}
		}
		revert = append(revert, lines(append(append([]string{statePrelude}, undoChains...),
			`if [ -f `+marker+` ]; then`,
			`  nft list table `+family+` filter 2>/dev/null | grep -qvE '^[[:space:]]*(table ip6? filter \{|chain (INPUT|FORWARD|OUTPUT) \{|type filter hook [a-z]+ priority filter; policy accept;|\}|)$' || nft delete table `+family+` filter 2>/dev/null`,
			`  rm -f `+marker,
			`fi`)...))
	}
	what := "add DROP chains " + chIn + "/" + chOut
	if ctl != "" {
		what += " (all traffic but loopback and gameday's SSH from " + t.Control.Addr.String() + " to port " + strconv.Itoa(int(t.Control.Port)) + ")"
	}
	return ShellPlan{
		Detect: []Step{{Name: "check iptables", Script: `command -v iptables >/dev/null 2>&1 && command -v iptables-restore >/dev/null 2>&1 || { echo "iptables is not installed" >&2; exit 3; }`, Fail: "%s"}},
		Inject: []Step{{Name: what, Script: strings.Join(inject, "\n")}},
		Verify: []Step{{Name: "jumps present", Script: lines(present...)}},
		// Revert must run every line even when one finds nothing to do.
		Revert:     []Step{{Name: "remove chains " + chIn + "/" + chOut, Script: lines(append(revert, "exit 0")...)}},
		VerifyGone: []Step{{Name: "chains gone", Script: lines(append(gone, "exit 0")...)}},
	}, nil
}

// LabPlan cuts the node in the lab: its proxy closed, or with peers only
// their connections refused, in the chosen direction (the lab's relays do
// it); a kfake broker is only cut whole.
func (f *Partition) LabPlan(t PlanTarget) (LabPlan, error) {
	if t.Host.Lab == nil {
		return LabPlan{}, fmt.Errorf("host %s is not a lab node", t.Host.Name)
	}
	n := t.Host.Name
	whole := len(f.Peers) == 0 && f.Direction == DirBoth
	if t.Host.Lab.Kind == "kafka" {
		if !whole {
			return LabPlan{}, fmt.Errorf("partition: lab broker %s can only be cut off from everyone in both directions (leave out peers and direction)", n)
		}
		return LabPlan{Inject: []LabStep{{Op: LabCut, Node: n}}, Revert: []LabStep{{Op: LabHeal, Node: n}}}, nil
	}
	peers, err := labPeers(t, f.Peers)
	if err != nil {
		return LabPlan{}, fmt.Errorf("partition: param peers: %w", err)
	}
	step := LabStep{Node: n, Peers: peers}
	if f.Direction != DirBoth {
		step.Direction = string(f.Direction)
	}
	cut, heal := step, step
	cut.Op, heal.Op = LabCut, LabHeal
	return LabPlan{Inject: []LabStep{cut}, Revert: []LabStep{heal}}, nil
}

// labPeers names the lab nodes peers stand for: inventory names of lab
// nodes, selectors of them, or their addresses.
func labPeers(t PlanTarget, peers []string) ([]string, error) {
	peers, err := expandPeers(t, peers)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range peers {
		var found string
		var byAddr []string
		if t.Inv != nil {
			for _, h := range t.Inv.Hosts {
				if h.Lab != nil && h.Name == p {
					found = h.Name
				}
				if h.Lab != nil && h.Address == p {
					byAddr = append(byAddr, h.Name)
				}
			}
		}
		if found == "" && len(byAddr) == 1 {
			found = byAddr[0]
		}
		switch {
		case found == "" && len(byAddr) > 1:
			return nil, fmt.Errorf("peer %q is the address of several lab nodes (%s): name the node", oneLine(p), strings.Join(byAddr, ", "))
		case found == "":
			return nil, fmt.Errorf("peer %q is not a lab node (name a node of the lab, or its address)", oneLine(p))
		case found == t.Host.Name:
			return nil, fmt.Errorf("peer %q is %s itself", oneLine(p), t.Host.Name)
		}
		out = append(out, found)
	}
	return out, nil
}
