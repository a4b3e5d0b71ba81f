package labapi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gameday-dev/gameday/internal/proc"
)

// PidFile, in a lab's dir, names the lab process ("PID START", start in
// clock ticks since boot) while the lab runs; a lab that stops removes it.
const PidFile = "lab.pid"

// Gone tells whether the lab that ran from dir is gone: it stopped (no
// pidfile) or died (the process its pidfile names no longer runs; its
// children died with it). pid is a dead lab's pid — its firewall chains,
// GAMEDAY-LAB-<pid>, stay until a lab up or down sweeps them — and 0 for a
// lab that stopped.
func Gone(dir string) (gone bool, pid int, err error) {
	b, err := os.ReadFile(filepath.Join(dir, PidFile))
	if errors.Is(err, os.ErrNotExist) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("read the lab's pidfile: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false, 0, fmt.Errorf("the lab's pidfile %s holds %q, not a pid and a start time", filepath.Join(dir, PidFile), strings.TrimSpace(string(b)))
	}
	pid, perr := strconv.Atoi(f[0])
	start, serr := strconv.ParseUint(f[1], 10, 64)
	if perr != nil || serr != nil || pid <= 0 {
		return false, 0, fmt.Errorf("the lab's pidfile %s holds %q, not a pid and a start time", filepath.Join(dir, PidFile), strings.TrimSpace(string(b)))
	}
	if (proc.ID{PID: pid, Start: start}).Running() {
		return false, 0, nil
	}
	return true, pid, nil
}
