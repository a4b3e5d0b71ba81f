package inject

import (
	"fmt"
	"os"
	"sync"

	"github.com/gameday-dev/gameday/internal/proc"
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
		st, _ := proc.StartTime(os.Getpid())
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
	if !(proc.ID{PID: s.PID, Start: s.Start}).Running() {
		return SessionDead
	}
	return SessionAlive
}
