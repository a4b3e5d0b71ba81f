package inject_test

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/gameday-dev/gameday/inject"
)

// gamedayCLI runs the real gameday binary with an isolated state directory
// (so the ledger is the test's own).
type gamedayCLI struct {
	t   testing.TB
	bin string
	env []string
}

func buildGameday(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gameday")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/gameday-dev/gameday/cmd/gameday")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build gameday: %v\n%s", err, out)
	}
	return bin
}

// start starts gameday with args; crashpoint > 0 makes it SIGKILL itself at
// that checkpoint.
func (g *gamedayCLI) start(crashpoint int, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(g.bin, args...)
	cmd.Env = g.env
	if crashpoint > 0 {
		cmd.Env = append(cmd.Env, inject.CrashpointEnv+"="+strconv.Itoa(crashpoint))
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start gameday: %v", err)
	}
	return cmd, &out
}

// run runs gameday to its end and tells whether it was SIGKILLed.
func (g *gamedayCLI) run(crashpoint int, args ...string) (killed bool, out string, err error) {
	cmd, buf := g.start(crashpoint, args...)
	err = cmd.Wait()
	return wasKilled(err), buf.String(), err
}

func wasKilled(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws, ok := ee.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	}
	return false
}
