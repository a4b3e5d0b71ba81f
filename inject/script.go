package inject

import (
	"fmt"
	"strings"
)

// statePrelude picks gameday's state directory on a host and leaves it in
// $d: /run/gameday (tmpfs, gone on reboot like the faults themselves) or,
// when that cannot be made, /tmp/gameday-guards. Every script that touches
// state files starts with it, so all of them agree on the directory.
const statePrelude = `d=/run/gameday; { [ -d "$d" ] || mkdir -m 0700 -p "$d" 2>/dev/null; } || d=/tmp/gameday-guards; mkdir -m 0700 -p "$d"`

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
