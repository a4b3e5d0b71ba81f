package inject

import (
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
)

// CrashpointEnv names the test hook: when it holds N, the process SIGKILLs
// itself at its N-th checkpoint, so crash-safety tests can stop gameday at
// every point of arming and reverting.
const CrashpointEnv = "GAMEDAY_CRASHPOINT"

var checkpoints atomic.Int64

// checkpoint counts one point where a crash must leave the ledger and the
// hosts recoverable: after the ledger write, after each guard start, after
// each host's inject step, after each verify, before and after each revert
// step.
func checkpoint() {
	n := checkpoints.Add(1)
	if v := os.Getenv(CrashpointEnv); v != "" {
		if want, err := strconv.ParseInt(v, 10, 64); err == nil && want == n {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way; never go past the point
		}
	}
}
