package inject

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Guard time-to-live bounds: a fault always expires, and within a day.
const (
	DefaultTTL = 10 * time.Minute
	MaxTTL     = 24 * time.Hour
)

// effectiveTTL maps 0 to the default and refuses anything unlimited.
func effectiveTTL(ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl == 0:
		return DefaultTTL, nil
	case ttl < time.Second:
		return 0, fmt.Errorf("ttl %s is too short: give at least 1s (0 means the default %s)", ttl, DefaultTTL)
	case ttl > MaxTTL:
		return 0, fmt.Errorf("ttl %s is longer than the %s gameday allows: every fault must expire", ttl, MaxTTL)
	}
	return ttl, nil
}

// guardTag is what a guard's shell carries as $0, so that a cancel kills
// only a process that really is this fault's guard, even after PID reuse.
func guardTag(id string) string { return "gameday-guard-" + id }

// guardStartStep starts the TTL guard on a host: a shell in its own session
// (setsid, so neither the SSH session's end nor a cut SSH path stops it)
// that sleeps for the TTL, runs every revert step, and leaves an expired
// marker for the ledger to find. Its PID goes into a guard file.
func guardStartStep(id string, ttl time.Duration, revert []Step) Step {
	body := []string{statePrelude, "sleep " + strconv.FormatInt(int64((ttl+time.Second-1)/time.Second), 10)}
	for _, s := range revert {
		body = append(body, "sh -c "+Quote(s.Script)+" || true")
	}
	body = append(body, `date -u +%Y-%m-%dT%H:%M:%SZ > `+stateFile(id, "expired"), `rm -f `+stateFile(id, "guard"))
	return Step{Name: "start TTL guard (" + ttl.String() + ")", Script: lines("set -e", statePrelude,
		`rm -f `+stateFile(id, "expired"),
		`setsid nohup sh -c `+Quote(strings.Join(body, "\n"))+` `+Quote(guardTag(id))+` </dev/null >/dev/null 2>&1 &`,
		`echo $! > `+stateFile(id, "guard"))}
}

// guardCancelStep kills the guard's whole process group (its sleep too) and
// removes the fault's state files; it succeeds when there is nothing left.
func guardCancelStep(id string) Step {
	return Step{Name: "cancel TTL guard", Script: lines(statePrelude,
		`g=`+stateFile(id, "guard"),
		`if [ -f "$g" ]; then`,
		`  p=$(tr -cd '0-9' < "$g")`,
		`  if [ -n "$p" ] && tr '\0' ' ' < /proc/"$p"/cmdline 2>/dev/null | grep -qF -- `+Quote(guardTag(id))+`; then kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; fi`,
		`fi`,
		`rm -f "$d"/`+Quote(id)+`.*`,
		`exit 0`)}
}

// guardExpiredStep exits 0 when the guard fired (its marker exists).
func guardExpiredStep(id string) Step {
	return Step{Name: "guard fired?", Script: lines(statePrelude, `[ -f `+stateFile(id, "expired")+` ]`)}
}
