package inject

import (
	"fmt"
	"strings"
)

// statePrelude picks gameday's state directory on a host and leaves it in
// $d: /run/gameday (tmpfs, gone on reboot like the faults themselves) or,
// when that cannot be made, /tmp/gameday-guards. Every script that touches
// state files starts with it, so all of them agree on the directory. It
// sets umask 077: state files are 0600 (a guard's script, the PIDs a kill
// recorded, the rules' markers), whoever else may read the directory; a
// script that starts a host's own process must first restore the umask it
// was given (see keepUmask). The directory is made only when missing: one
// process less per script.
const statePrelude = `umask 077; d=/run/gameday; [ -d "$d" ] || mkdir -m 0700 -p "$d" 2>/dev/null || { d=/tmp/gameday-guards; [ -d "$d" ] || mkdir -m 0700 -p "$d"; }`

// keepUmask saves the umask a script was given in $gd_um, before
// statePrelude tightens it: what the script starts of the host's own
// (a guard, and through it a revert that restarts a service) runs under
// the umask it would have had without gameday's state files.
const keepUmask = `gd_um=$(umask)`

// stateFile is the path of a fault's state file with suffix, as a shell
// word expanding under $d.
func stateFile(id, suffix string) string {
	return `"$d"/` + Quote(id+"."+suffix)
}

// lines joins script lines with newlines.
func lines(ls ...string) string { return strings.Join(ls, "\n") }

// octalEscape writes s as printf octal escapes, so that a pattern given to
// pgrep -f does not appear literally in the command line of the very shell
// that runs pgrep (which would otherwise match itself).
func octalEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\%03o`, s[i])
	}
	return b.String()
}

// rootHandleMatch is a shell test that succeeds when device "$n" has a root
// qdisc with handle h (hex, without the colon).
func rootHandleMatch(h string) string {
	return `tc qdisc show dev "$n" root 2>/dev/null | grep -q ` + Quote(" "+h+": root")
}

// forEachDevice wraps body in a loop over the host's network devices, with
// the device name in $n.
func forEachDevice(body string) string {
	return lines(`for i in /sys/class/net/*; do`, `n=${i##*/}`, body, `done`)
}
