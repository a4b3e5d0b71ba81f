package inject

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// sshExecutor runs shell scripts on hosts over SSH (or through whatever
// Runner the Manager was given). It serves every host no other executor
// claims; its guards are detached shells on the hosts themselves.
type sshExecutor struct {
	runner func() Runner
}

func init() {
	registerExecutor(executorDef{
		name:   "ssh",
		order:  100, // the default: asked last
		reach:  "over SSH (sh, under sudo when not root)",
		serves: func(targets.Host) bool { return true },
		flaps:  true,
		open: func(env *execEnv, _ map[string]string) (Executor, error) {
			return sshExecutor{runner: env.runner}, nil
		},
	})
}

// Via is empty: the host entry's target says how to reach it.
func (sshExecutor) Via() map[string]string { return nil }

// sparer is a fault that must spare gameday's own connection to a host
// (a partition from everyone).
type sparer interface{ sparesControl() bool }

// Plan is the kind's shell plan. A fault that must spare gameday's own
// connection is planned with it, as the host sees it, so the plan shown
// names the very address its rules let through.
func (x sshExecutor) Plan(ctx context.Context, f Fault, t PlanTarget) (Steps, error) {
	if sp, ok := f.(sparer); ok && sp.sparesControl() {
		if r, ok := x.runner().(sshRunner); ok {
			cp, err := r.controlPath(ctx, t.Host)
			if err != nil {
				return Steps{}, err
			}
			t.Control = &cp
		}
	}
	return f.ShellPlan(t)
}

// Run runs the step's script and turns a non-zero exit into one sentence:
// the step's Fail sentence, or its name with stderr's first line.
func (x sshExecutor) Run(ctx context.Context, h targets.Host, s Step) error {
	res, err := x.runner().Run(ctx, h, s.Script)
	return scriptErr(h, s, res, err)
}

// scriptErr is the one sentence a script step's outcome comes to (nil for
// success).
func scriptErr(h targets.Host, s Step, res Result, err error) error {
	if err != nil {
		return fmt.Errorf("host %s: %s: %w", h.Name, s.Name, err)
	}
	if res.Exit == 0 {
		return nil
	}
	reason := firstLine(res.Stderr)
	if reason == "" {
		reason = firstLine(res.Stdout)
	}
	if s.Fail != "" {
		return fmt.Errorf("host %s: %s", h.Name, strings.Replace(s.Fail, "%s", trimTCError(reason), 1))
	}
	if reason == "" {
		reason = fmt.Sprintf("exit status %d", res.Exit)
	}
	return fmt.Errorf("host %s: %s: %s", h.Name, s.Name, reason)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return oneLine(s)
}

// guardTag is what a guard's shell carries as $0, so that a cancel kills
// only a process that really is this fault's guard, even after PID reuse.
func guardTag(id string) string { return "gameday-guard-" + id }

// Guard starts a shell in its own session (setsid: neither the SSH
// session's end nor a cut network stops it) that sleeps for the TTL, runs
// every revert step, then every verify-gone step, and writes what it found
// into the fault's expired marker: "verified", or "revert failed: why".
// The guard's script is a state file and each step reaches its shell on
// stdin, so no command line on the host holds a step's text: a kind that
// finds its process by pattern (kill's pgrep -f) must never find — and
// kill — the guard whose revert restarts it.
// The cancel kills the guard's whole process group — its sleep too — in a
// form dash and bash both accept, and removes the fault's state files.
func (sshExecutor) Guard(g Guard) (start, cancel Step) {
	id := g.Fault
	start = Step{Name: "start TTL guard (" + g.TTL.String() + ")", Script: lines("set -e", keepUmask+"; "+statePrelude,
		`[ ! -e `+stateFile(id, "expired")+` ] || rm -f `+stateFile(id, "expired"),
		`printf '%s\n' `+Quote(guardBody(g))+` > `+stateFile(id, "guard.sh"),
		// The guard starts under the umask the session gave: its
		// reverts may start the host's own processes.
		`umask "$gd_um"`,
		`setsid nohup sh `+stateFile(id, "guard.sh")+` `+Quote(guardTag(id))+` </dev/null >/dev/null 2>&1 &`,
		`umask 077`,
		`echo $! > `+stateFile(id, "guard"))}
	cancel = Step{Name: "cancel TTL guard", Script: lines(statePrelude,
		`g=`+stateFile(id, "guard"),
		`if [ -f "$g" ]; then`,
		`  p=$(tr -cd '0-9' < "$g")`,
		`  if [ -n "$p" ] && tr '\0' ' ' < /proc/"$p"/cmdline 2>/dev/null | grep -qF -- `+Quote(guardTag(id))+`; then kill -s TERM -- "-$p" 2>/dev/null || kill -s TERM "$p" 2>/dev/null; fi`,
		`fi`,
		`rm -f "$d"/`+Quote(id)+`.*`,
		`exit 0`)}
	return start, cancel
}

// guardBody is the script the guard's detached shell runs.
func guardBody(g Guard) string {
	id := g.Fault
	secs := strconv.FormatInt(int64((g.TTL+time.Second-1)/time.Second), 10)
	body := []string{keepUmask + "; " + statePrelude,
		// The trap ends the sleep with the shell, should only the shell
		// be signalled.
		`trap 'kill "$s" 2>/dev/null; exit 143' TERM`}
	if g.Flap != nil {
		body = append(body, flapLoop(g, secs)...)
	} else {
		body = append(body, `sleep `+secs+` & s=$!`, `wait "$s"`)
	}
	body = append(body, `why=`)
	body = append(body, guardSteps(g.Revert, g.VerifyGone)...)
	body = append(body,
		`if [ -z "$why" ]; then echo verified; else printf 'revert failed: %s\n' "$why"; fi > `+stateFile(id, "expired.tmp"),
		`mv -f `+stateFile(id, "expired.tmp")+` `+stateFile(id, "expired"),
		`rm -f `+stateFile(id, "guard"))
	return strings.Join(body, "\n")
}

// guardStep is the line that runs step s in the guard: fed to sh on
// stdin, as sshx does, in a brace group whose stdin is /dev/null; its
// stderr lands in $r.
func guardStep(s Step) string {
	return `r=$(printf '%s\n' ` + Quote("{\n"+s.Script+"\n} </dev/null") + ` | { umask "$gd_um"; sh -s; } 2>&1 >/dev/null)`
}

// guardSteps runs every revert step (all of them, even past a failure),
// then, while nothing failed, every verify-gone step; $why holds the
// first failure.
func guardSteps(revert, verifyGone []Step) []string {
	var out []string
	for _, s := range revert {
		out = append(out, guardStep(s)+` || { [ -n "$why" ] || why=`+Quote(s.Name+": ")+`"$(printf '%s\n' "$r" | head -n 1)"; }`)
	}
	for _, s := range verifyGone {
		out = append(out, `[ -n "$why" ] || `+guardStep(s)+` || why=`+Quote("verify "+s.Name+": ")+`"$(printf '%s\n' "$r" | head -n 1)"`)
	}
	return out
}

// flapLoop is the guard's toggling until the TTL (or SIGUSR1, the stop):
// cut (inject, verify), log it, wait the cut phase, heal (revert, verify
// gone), log it, wait the heal phase. A toggle that does not verify heals,
// logs "failed" and ends the toggling. Once it ends, "stopped" is logged
// and the guard sleeps out the TTL; its reverts then run as any guard's.
// Each line of the log is one printf, appended whole.
func flapLoop(g Guard, secs string) []string {
	log := stateFile(g.Fault, "flap")
	cutMS := strconv.FormatInt(g.Flap.Cut.Milliseconds(), 10)
	healMS := strconv.FormatInt(g.Flap.Heal.Milliseconds(), 10)
	out := []string{
		`end=$(( $(date +%s) + ` + secs + ` ))`,
		`n=0; stop=; s=`,
		// SIGUSR1 stops the toggling: it cuts a nap short; a toggle
		// under way finishes first (the trap runs after it).
		`trap 'stop=1; kill "$s" 2>/dev/null' USR1`,
		// nap sleeps $1 ms, never past the end.
		`nap() { r=$(( (end - $(date +%s)) * 1000 )); [ "$r" -gt 0 ] || return 0; m=$1; [ "$m" -le "$r" ] || m=$r; sleep "$((m / 1000)).$(printf '%03d' $((m % 1000)))" & s=$!; wait "$s"; }`,
		`note() { n=$((n + 1)); printf '%s %s %s%s\n' "$n" "$1" "$(date +%s.%N)" "${2:+ $2}" >> ` + log + `; }`,
		`flap_cut() {`, `why=`}
	for _, s := range g.Inject {
		out = append(out, `[ -n "$why" ] || `+guardStep(s)+` || why=`+Quote("cut: "+s.Name+": ")+`"$(printf '%s\n' "$r" | head -n 1)"`)
	}
	for _, s := range g.Verify {
		out = append(out, `[ -n "$why" ] || `+guardStep(s)+` || why=`+Quote("cut: verify "+s.Name+": ")+`"$(printf '%s\n' "$r" | head -n 1)"`)
	}
	out = append(out, `:`, `}`, `flap_heal() {`, `why=`)
	out = append(out, guardSteps(g.Revert, g.VerifyGone)...)
	out = append(out, `[ -z "$why" ] || why="heal: $why"`, `}`,
		`while [ -z "$stop" ] && [ "$(date +%s)" -lt "$end" ]; do`,
		`  flap_cut`,
		`  if [ -n "$why" ]; then w=$why; flap_heal; note failed "$w"; break; fi`,
		`  note cut`,
		`  [ -n "$stop" ] || nap `+cutMS,
		`  flap_heal`,
		`  if [ -n "$why" ]; then w=$why; flap_heal; note failed "$w"; break; fi`,
		`  note healed`,
		`  [ -n "$stop" ] || nap `+healMS,
		`done`,
		`echo stopped >> `+log,
		`while [ "$(date +%s)" -lt "$end" ]; do nap $(( (end - $(date +%s)) * 1000 )); done`)
	return out
}

// FlapSteps waits for the guard's first logged toggle (a verified cut, or
// the failure that ended the flap); stop signals the guard's shell and
// waits for "stopped" in the log (a toggle under way finishes first). A
// guard that is not running has nothing to stop.
func (sshExecutor) FlapSteps(g Guard) (started, stop Step) {
	id := g.Fault
	log := stateFile(id, "flap")
	started = Step{Name: "flap " + g.Flap.String() + ": wait for the guard's first verified cut", Script: lines(statePrelude,
		`i=0`,
		`until [ -s `+log+` ]; do`,
		`  i=$((i + 1)); [ "$i" -le 450 ] || { echo "the guard logged no cut within 45s" >&2; exit 1; }`,
		`  [ -f `+stateFile(id, "guard")+` ] || { echo "the guard is not running" >&2; exit 1; }`,
		`  sleep 0.1`,
		`done`,
		`l=$(head -n 1 `+log+`)`,
		`case "$l" in`,
		`  "1 cut "*) exit 0;;`,
		`  *) printf 'the first cut did not verify: %s\n' "${l#* * * }" >&2; exit 1;;`,
		`esac`)}
	stop = Step{Name: "stop the flap (the guard then only waits for its TTL)", Script: lines(statePrelude,
		`g=`+stateFile(id, "guard"),
		`[ -f "$g" ] || exit 0`,
		`p=$(tr -cd '0-9' < "$g")`,
		`alive() { [ -n "$p" ] && tr '\0' ' ' < /proc/"$p"/cmdline 2>/dev/null | grep -qF -- `+Quote(guardTag(id))+`; }`,
		`alive || exit 0`,
		`kill -s USR1 "$p" 2>/dev/null || exit 0`,
		`i=0`,
		`until grep -qx stopped `+log+` 2>/dev/null; do`,
		`  alive || exit 0`,
		`  i=$((i + 1)); [ "$i" -le 450 ] || { echo "the guard did not stop flapping within 45s" >&2; exit 1; }`,
		`  sleep 0.1`,
		`done`)}
	return started, stop
}

// Toggles reads the guard's flap log on h.
func (x sshExecutor) Toggles(ctx context.Context, h targets.Host, g Guard) ([]Toggle, error) {
	s := Step{Name: "read the flap log", Script: lines(statePrelude, `cat `+stateFile(g.Fault, "flap")+` 2>/dev/null; exit 0`)}
	res, err := x.runner().Run(ctx, h, s.Script)
	if err := scriptErr(h, s, res, err); err != nil {
		return nil, err
	}
	return parseToggleLog(res.Stdout), nil
}

// GuardOutcome reads the guard's expired marker on h.
func (x sshExecutor) GuardOutcome(ctx context.Context, h targets.Host, g Guard) (GuardOutcome, error) {
	s := guardOutcomeStep(g.Fault)
	res, err := x.runner().Run(ctx, h, s.Script)
	if err := scriptErr(h, s, res, err); err != nil {
		return GuardOutcome{}, err
	}
	return parseGuardMarker(res.Stdout), nil
}

// guardOutcomeStep prints "fired" and the expired marker's first line,
// or nothing while the guard has not fired.
func guardOutcomeStep(id string) Step {
	return Step{Name: "read the TTL guard's outcome", Script: lines(statePrelude,
		`f=`+stateFile(id, "expired"),
		`[ -f "$f" ] || exit 0`,
		`echo fired; head -n 1 "$f"`)}
}

// parseGuardMarker reads the outcome script's output: nothing (not fired),
// or "fired" and the marker's first line.
func parseGuardMarker(out string) GuardOutcome {
	ls := strings.SplitN(strings.TrimSpace(out), "\n", 2)
	if ls[0] != "fired" {
		return GuardOutcome{}
	}
	o := GuardOutcome{Fired: true}
	mark := ""
	if len(ls) > 1 {
		mark = strings.TrimSpace(ls[1])
	}
	switch {
	case mark == "verified":
		o.Verified = true
	case strings.HasPrefix(mark, "revert failed: "):
		o.Why = oneLine(strings.TrimPrefix(mark, "revert failed: "))
	default:
		// Guards started by an older gameday wrote only the time and
		// never verified.
		o.Why = "the guard did not verify its revert"
	}
	return o
}

// sshRunner adapts the SSH pool to Runner.
type sshRunner struct{ pool *sshx.Pool }

func defaultRunner(inv *targets.Inventory, cfg sshx.Config) Runner {
	return sshRunner{pool: sshx.New(inv, cfg)}
}

// Run runs script on h over the pooled SSH connection.
func (s sshRunner) Run(ctx context.Context, h targets.Host, script string) (Result, error) {
	r, err := s.pool.Run(ctx, h, script)
	return Result{Stdout: r.Stdout, Stderr: r.Stderr, Exit: r.Exit}, err
}

// controlPathScript prints ss's line for the socket of the sshd that runs
// the script: its first sshd ancestor holds gameday's connection, whoever
// the script runs as (sudo keeps no SSH_CONNECTION), through NAT or a jump
// host alike.
const controlPathScript = `p=$$
while [ "$p" -gt 1 ]; do
  case "$(cat /proc/"$p"/comm 2>/dev/null)" in sshd*) break;; esac
  p=$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null | cut -d' ' -f2)
  [ -n "$p" ] || p=1
done
[ "$p" -gt 1 ] || { echo "this script does not run under sshd" >&2; exit 3; }
command -v ss >/dev/null 2>&1 || { echo "ss (iproute2) is not installed" >&2; exit 3; }
ss -tnpH state established 2>/dev/null | grep -F "pid=$p," | head -n 1`

// controlPath learns gameday's connection to h as h sees it.
func (s sshRunner) controlPath(ctx context.Context, h targets.Host) (ControlPath, error) {
	st := Step{Name: "find gameday's own SSH connection", Script: controlPathScript,
		Fail: "cannot find gameday's own SSH connection to spare it (%s): give param peers instead of partitioning from everyone"}
	res, err := s.Run(ctx, h, st.Script)
	if err != nil {
		// The host is not reachable now: say so first, then why it was asked.
		return ControlPath{}, fmt.Errorf("%w (a partition from everyone first asks the host for gameday's own connection, to spare it)", err)
	}
	if err := scriptErr(h, st, res, nil); err != nil {
		return ControlPath{}, err
	}
	// Recv-Q Send-Q Local:Port Peer:Port Process
	f := strings.Fields(res.Stdout)
	if len(f) >= 4 {
		local, lerr := netip.ParseAddrPort(f[2])
		peer, perr := netip.ParseAddrPort(f[3])
		if lerr == nil && perr == nil {
			return ControlPath{Addr: peer.Addr().Unmap(), Port: local.Port()}, nil
		}
	}
	return ControlPath{}, fmt.Errorf("host %s: cannot find gameday's own SSH connection to spare it (ss printed %q): give param peers instead of partitioning from everyone", h.Name, oneLine(res.Stdout))
}

// Close closes the pooled connections.
func (s sshRunner) Close() error { return s.pool.Close() }
