// Package proc is gameday's one way to start, watch and identify local
// processes: lab nodes, JVM nodes, namespace test hosts, and gameday
// processes named in the ledger. It reads /proc, so it is Linux only, as
// the lab and the namespace hosts are.
package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is what gameday needs of /proc/PID/stat.
type Stat struct {
	// State is the process state letter: R, S, D, T (stopped by a signal,
	// a paused node), t (traced), Z (zombie: exited, not yet reaped), …
	State byte
	// Start is the process's start time in clock ticks since boot (field
	// 22). A pid plus its start time names one process for good: a
	// recycled pid has a different start time.
	Start uint64
}

// ReadStat reads /proc/PID/stat. The command name (field 2) may hold
// spaces and parentheses, so the fields are counted from the last ')'.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	// After the name: state is field 3, so starttime (22) is index 19.
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("short /proc/%d/stat", pid)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat: start time %q: %w", pid, f[19], err)
	}
	return Stat{State: f[0][0], Start: start}, nil
}

// Alive reports whether pid exists and has not exited (a zombie has).
func Alive(pid int) bool {
	st, err := ReadStat(pid)
	return err == nil && st.State != 'Z'
}

// StartTime returns pid's start time in clock ticks since boot.
func StartTime(pid int) (uint64, error) {
	st, err := ReadStat(pid)
	return st.Start, err
}

// ID names one process for good: its pid and its start time.
type ID struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// Self is this process's ID.
func Self() (ID, error) {
	pid := os.Getpid()
	start, err := StartTime(pid)
	if err != nil {
		return ID{}, fmt.Errorf("read own start time: %w", err)
	}
	return ID{PID: pid, Start: start}, nil
}

// Running reports whether the process id names still runs: its pid
// exists, with the same start time, and has not exited.
func (id ID) Running() bool {
	st, err := ReadStat(id.PID)
	return err == nil && st.Start == id.Start && st.State != 'Z'
}
