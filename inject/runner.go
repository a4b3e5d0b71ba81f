package inject

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/gameday-dev/gameday/targets"
)

// Runner runs a POSIX shell script on a host and returns its output. A
// non-zero exit status is reported in Result.Exit with a nil error; the error
// is for failing to run the script at all (unreachable host, refused key,
// cancelled context).
type Runner interface {
	Run(ctx context.Context, h targets.Host, script string) (Result, error)
	Close() error
}

// Result is what one script run produced.
type Result struct {
	Stdout, Stderr string
	Exit           int
}

// LocalRunner runs scripts on this machine with `sh -c`, optionally inside a
// network namespace (`ip netns exec NS`) or through a wrapper such as
// `nsenter -t PID -m`. It serves tests and hosts whose address is local.
type LocalRunner struct {
	// Netns, when set, runs every script inside that named network
	// namespace.
	Netns string
	// Wrap, when set, is prepended to the `sh -c SCRIPT` argv (for example
	// []string{"nsenter", "-t", "1234", "-m"}); it is applied inside Netns.
	Wrap []string
}

// Run runs script with sh -c and reports its output and exit status.
func (r LocalRunner) Run(ctx context.Context, h targets.Host, script string) (Result, error) {
	argv := []string{"sh", "-c", script}
	if len(r.Wrap) > 0 {
		argv = append(append([]string(nil), r.Wrap...), argv...)
	}
	if r.Netns != "" {
		argv = append([]string{"ip", "netns", "exec", r.Netns}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		res.Exit = ee.ExitCode()
	default:
		if ctx.Err() != nil {
			return res, fmt.Errorf("host %s: %w", h.Name, ctx.Err())
		}
		return res, fmt.Errorf("host %s: run sh: %w", h.Name, err)
	}
	return res, nil
}

// Close does nothing: a LocalRunner holds no connections.
func (LocalRunner) Close() error { return nil }
