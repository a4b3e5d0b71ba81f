package inject

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Session identifies a gameday process: host name, PID and the process's
// start time (in clock ticks since boot), so that a reused PID is not taken
// for the process that armed a fault.
type Session struct {
	Host  string `json:"host"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// String renders the session as host/pid/start.
func (s Session) String() string { return fmt.Sprintf("%s/%d/%d", s.Host, s.PID, s.Start) }

var (
	selfOnce sync.Once
	self     Session
)

// CurrentSession returns this process's session.
func CurrentSession() Session {
	selfOnce.Do(func() {
		h, _ := os.Hostname()
		st, _ := procStart(os.Getpid())
		self = Session{Host: h, PID: os.Getpid(), Start: st}
	})
	return self
}

// SessionState says what is known about a session's process.
type SessionState int

// Session liveness as List can tell it.
const (
	SessionUnknown SessionState = iota // armed on another machine
	SessionAlive
	SessionDead
)

// Liveness tells whether s's process still runs, as far as this machine can
// tell.
func (s Session) Liveness() SessionState {
	h, _ := os.Hostname()
	if s.Host != h {
		return SessionUnknown
	}
	st, err := procStart(s.PID)
	if err != nil || st != s.Start || procZombie(s.PID) {
		return SessionDead
	}
	return SessionAlive
}

// procStart reads field 22 (starttime) of /proc/PID/stat, skipping the
// command name, which may hold spaces and parentheses.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	// After the name: state is field 3, so starttime (22) is index 19.
	if len(f) < 20 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// procZombie reports whether PID has exited but not been reaped.
func procZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}
