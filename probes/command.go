package probes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// Command probes run at most once a second and keep at most 64 KiB of
// each stream: a probe that forks faster, or a command that prints a
// log, would itself be the load on the host.
const (
	minCommandInterval = time.Second
	maxCommandOutput   = 64 << 10
)

// cmdResult is what one run of a command produced.
type cmdResult struct {
	stdout, stderr string
	exit           int
}

// commandProbe is command.run: a command run every interval, on this
// machine or on an inventory host over SSH. A run that exits 0 succeeds;
// the Reading's Value is the number its output holds (value: regexp), or
// else its exit status. A run that cannot start, or does not finish within
// the timeout, is the probe's error: it could not measure.
type commandProbe struct {
	svc   targets.Command
	cfg   Config
	value *regexp.Regexp
	run   func(ctx context.Context) (cmdResult, error)
}

// Name, Target and Run implement Probe.
func (p *commandProbe) Name() string   { return "command.run" }
func (p *commandProbe) Target() string { return p.svc.Name }

// Run measures until ctx is done; see Probe.
func (p *commandProbe) Run(ctx context.Context, emit func(Reading)) {
	poll(ctx, p.Name(), p.Target(), p.cfg, p.measure, emit, nil)
}

func (p *commandProbe) measure(ctx context.Context) Reading {
	res, err := p.run(ctx)
	if err != nil {
		if isTimeout(err) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Reading{Status: StatusError, Detail: "no answer within " + p.cfg.Timeout.String()}
		}
		return Reading{Status: StatusError, Detail: oneLine(err)}
	}
	r := Reading{Count: 1, Value: float64(res.exit)}
	detail := fmt.Sprintf("exit %d", res.exit)
	if res.exit != 0 {
		r.Errors = 1
		r.ErrorClasses = map[string]int64{"exit_" + strconv.Itoa(res.exit): 1}
	}
	if p.value != nil {
		v, ok := findNumber(p.value, res.stdout)
		switch {
		case ok:
			r.Value = v
			detail += ", value " + strconv.FormatFloat(v, 'g', -1, 64)
		case res.exit == 0:
			return Reading{Status: StatusError, Detail: fmt.Sprintf("exit 0 but no number matching %q in the output%s", p.value, firstLine(res.stdout))}
		}
	}
	out := res.stdout
	if res.exit != 0 && strings.TrimSpace(res.stderr) != "" {
		out = res.stderr
	}
	r.Detail = detail + firstLine(out)
	return r
}

// findNumber parses the number re finds in out: its first group, or the
// whole match.
func findNumber(re *regexp.Regexp, out string) (float64, bool) {
	m := re.FindStringSubmatch(out)
	if m == nil {
		return 0, false
	}
	s := m[0]
	if len(m) > 1 {
		s = m[1]
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || badNumber(v) != "" {
		return 0, false
	}
	return v, true
}

// firstLine is ": " and the output's first non-empty line, shortened, or
// "" for no output.
func firstLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 80 {
				l = l[:80] + "…"
			}
			return ": " + l
		}
	}
	return ""
}

// localRun runs argv on this machine, directly (no shell: nothing to
// quote), in its own process group that is killed whole at the timeout.
func localRun(argv []string) func(context.Context) (cmdResult, error) {
	return func(ctx context.Context) (cmdResult, error) {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = time.Second
		var stdout, stderr capped
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		res := cmdResult{stdout: stdout.String(), stderr: stderr.String()}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			res.exit = ee.ExitCode()
			return res, nil
		}
		return res, err
	}
}

// remoteRun runs argv on host h through pool, every argument quoted for
// the remote shell.
func remoteRun(pool *sshx.Pool, h targets.Host, argv []string) func(context.Context) (cmdResult, error) {
	script := sshx.Quote(argv...)
	return func(ctx context.Context) (cmdResult, error) {
		res, err := pool.Run(ctx, h, script)
		if err != nil {
			return cmdResult{}, err
		}
		return cmdResult{stdout: capString(res.Stdout), stderr: capString(res.Stderr), exit: res.Exit}, nil
	}
}

// capped is a buffer that keeps the first maxCommandOutput bytes and
// drops the rest (a writer that refused them would kill the command with
// SIGPIPE and turn a chatty command into a failing one).
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxCommandOutput - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func capString(s string) string {
	if len(s) > maxCommandOutput {
		return s[:maxCommandOutput]
	}
	return s
}
