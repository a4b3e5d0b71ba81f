package nshost

import (
	"os"
	"regexp"
	"strconv"

	"github.com/gameday-dev/gameday/internal/proc"
)

// bedNS matches the namespaces a bed creates: gd-<pid>-<seq>-<hub|i>.
var bedNS = regexp.MustCompile(`^gd-(\d+)-(\d+)-(hub|\d+)$`)

// Sweep deletes bed namespaces (and kills what runs in them) whose creating
// process is gone: the leftovers of a test binary that crashed or was
// killed before its cleanups ran. Beds of live processes are left alone.
func Sweep() {
	ents, _ := os.ReadDir("/run/netns")
	etc, _ := os.ReadDir(etcNetns)
	for _, e := range append(ents, etc...) {
		m := bedNS.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || proc.Alive(pid) {
			continue
		}
		removeNamespace(e.Name())
	}
}
