package nshost

import (
	"regexp"
	"strconv"

	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/internal/proc"
)

// bedNS matches the namespaces a bed creates: gd-<pid>-<seq>-<hub|i>.
var bedNS = regexp.MustCompile(`^gd-(\d+)-(\d+)-(hub|\d+)$`)

// Sweep deletes bed namespaces (and kills what runs in them) whose creating
// process is gone: the leftovers of a test binary that crashed or was
// killed before its cleanups ran. Beds of live processes are left alone.
func Sweep() {
	for _, ns := range hostns.Namespaces(func(name string) bool {
		m := bedNS.FindStringSubmatch(name)
		if m == nil {
			return false
		}
		pid, err := strconv.Atoi(m[1])
		return err == nil && !proc.Alive(pid)
	}) {
		hostns.RemoveNamespace(ns)
	}
}
