package sshx

import (
	"net"
	"strconv"

	"github.com/gameday-dev/gameday/targets"
)

// Portable returns h as it can be reached later without inv, as a ledger
// entry must be: the inventory's SSH defaults filled in, key and
// known_hosts paths made absolute (relative ones are relative to the
// inventory file), and a jump host named by inventory name rewritten as
// user@address:port. ~/.ssh/config still applies when it is reached.
func Portable(inv *targets.Inventory, h targets.Host) targets.Host {
	if inv == nil {
		return h
	}
	p := &Pool{inv: inv}
	h.SSH = inv.SSHFor(h)
	if h.SSH.IdentityFile != "" {
		h.SSH.IdentityFile = p.invPath(h.SSH.IdentityFile)
	}
	if h.SSH.KnownHosts != "" {
		h.SSH.KnownHosts = p.invPath(h.SSH.KnownHosts)
	}
	if j, ok := inv.Host(h.SSH.Jump); ok {
		js := inv.SSHFor(j)
		addr := j.Address
		if js.Port != 0 {
			addr = net.JoinHostPort(addr, strconv.Itoa(js.Port))
		}
		if js.User != "" {
			addr = js.User + "@" + addr
		}
		h.SSH.Jump = addr
	}
	return h
}
