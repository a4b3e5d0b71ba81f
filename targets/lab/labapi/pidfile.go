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

// ErrBadPidFile is a pidfile that holds no pid and start time (torn or
// hand-edited): it names no lab.
var ErrBadPidFile = errors.New("not a pid and a start time")

// Gone tells whether the lab that ran from dir is gone: it stopped (no
// pidfile) or died (the process its pidfile names no longer runs; its
// children died with it). pid is a dead lab's pid — its firewall chains,
// GAMEDAY-LAB-<pid>, stay until a lab up or down sweeps them — and 0 for a
// lab that stopped.
func Gone(dir string) (gone bool, pid int, err error) {
	id, ok, err := readPidFile(dir)
	switch {
	case err != nil:
		return false, 0, err
	case !ok:
		return true, 0, nil
	case id.Running():
		return false, 0, nil
	}
	return true, id.PID, nil
}

// Running names the lab process that runs from dir now (pid and start
// time: one process for good); ok is false when none does. A fault
// records it when armed, so that its revert acts on that lab or on none —
// never on a later lab started in the same dir with the same host names.
func Running(dir string) (id proc.ID, ok bool, err error) {
	id, ok, err = readPidFile(dir)
	if err != nil || !ok || !id.Running() {
		return proc.ID{}, false, err
	}
	return id, true, nil
}

// readPidFile reads dir's pidfile; ok is false when there is none.
func readPidFile(dir string) (id proc.ID, ok bool, err error) {
	name := filepath.Join(dir, PidFile)
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return proc.ID{}, false, nil
	}
	if err != nil {
		return proc.ID{}, false, fmt.Errorf("read the lab's pidfile: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 2 {
		pid, perr := strconv.Atoi(f[0])
		start, serr := strconv.ParseUint(f[1], 10, 64)
		if perr == nil && serr == nil && pid > 0 {
			return proc.ID{PID: pid, Start: start}, true, nil
		}
	}
	return proc.ID{}, false, fmt.Errorf("the lab's pidfile %s holds %q, %w", name, strings.TrimSpace(string(b)), ErrBadPidFile)
}
