package inject

import (
	"fmt"
	"strings"
)

// Selector finds a service's process on a host: by systemd unit (its
// MainPID), by pidfile, or by a pgrep -f pattern. Start is the command that
// brings the process back on revert when there is no unit to start.
type Selector struct {
	Unit    string
	Pidfile string
	Pattern string
	Start   string
}

// The parameters that find a process (findParams: one of them), and the
// command that starts it again (startParam, for kinds whose revert must).
var (
	unitParam    = ParamInfo{Name: "unit", Help: "systemd unit whose MainPID is the process"}
	pidfileParam = ParamInfo{Name: "pidfile", Help: "file holding the process's PID"}
	patternParam = ParamInfo{Name: "pattern", Help: "pgrep -f pattern matching the process's command line"}
	startParam   = ParamInfo{Name: "start", Help: "shell command that starts the process again on revert (needed without unit)"}
	findParams   = []ParamInfo{unitParam, pidfileParam, patternParam}
)

func parseSelector(p *params, needStart bool) Selector {
	s := Selector{Unit: p.str("unit", ""), Pidfile: p.str("pidfile", ""), Pattern: p.str("pattern", "")}
	if needStart {
		s.Start = p.str("start", "")
	}
	var given []string
	for _, g := range []struct{ name, v string }{{"unit", s.Unit}, {"pidfile", s.Pidfile}, {"pattern", s.Pattern}} {
		if g.v != "" {
			given = append(given, g.name)
		}
	}
	if len(given) > 1 {
		// Name what was given, not a parameter the operator never typed.
		p.fail(strings.Join(given, " and "), "give only one of unit, pidfile or pattern")
	}
	if needStart && s.Unit == "" && (s.Pidfile != "" || s.Pattern != "") && s.Start == "" {
		p.fail("start", "required with pidfile or pattern: the command that starts the process again on revert")
	}
	return s
}

// pidsLine leaves the selected PIDs in $pids, or fails the script.
func (s Selector) pidsLine(host string) (string, error) {
	switch {
	case s.Unit != "":
		return `pids=$(systemctl show -p MainPID --value ` + Quote(s.Unit) + `); [ "${pids:-0}" != 0 ] || pids=`, nil
	case s.Pidfile != "":
		return `pids=$(cat ` + Quote(s.Pidfile) + ` 2>/dev/null | tr -cd '0-9'); [ -n "$pids" ] && kill -0 "$pids" 2>/dev/null || pids=`, nil
	case s.Pattern != "":
		return `pids=$(pgrep -f "$(printf ` + Quote(octalEscape(s.Pattern)) + `)" | grep -vx "$$" | tr '\n' ' ')`, nil
	}
	return "", fmt.Errorf("host %s is not a lab node: give param unit, pidfile or pattern to find the process", host)
}

func (s Selector) what() string {
	switch {
	case s.Unit != "":
		return "unit " + s.Unit
	case s.Pidfile != "":
		return "pidfile " + s.Pidfile
	}
	return "pattern " + s.Pattern
}

// findStep fails, changing nothing, when no process matches.
func (s Selector) findStep(host string) (Step, error) {
	pl, err := s.pidsLine(host)
	if err != nil {
		return Step{}, err
	}
	return Step{Name: "find process by " + s.what(), Script: lines(pl,
		`[ -n "$pids" ] || { echo `+Quote("no running process matches "+s.what())+` >&2; exit 3; }`), Fail: "%s"}, nil
}

// signalPlan is the shared plan of kill and pause: record the PIDs, signal
// them; verify and revert read the recorded PIDs, never a fresh lookup, so
// they act on the very processes the fault touched.
func (s Selector) signalPlan(t PlanTarget, sig string) (find Step, inject Step, err error) {
	find, err = s.findStep(t.Host.Name)
	if err != nil {
		return Step{}, Step{}, err
	}
	pl, _ := s.pidsLine(t.Host.Name)
	inject = Step{Name: "SIG" + sig + " " + s.what(), Script: lines("set -e", statePrelude, pl,
		`[ -n "$pids" ] || { echo `+Quote("no running process matches "+s.what())+` >&2; exit 3; }`,
		`echo $pids > `+stateFile(t.ID, "pids"),
		`kill -`+sig+` $pids`), Fail: "%s"}
	return find, inject, nil
}

// startScript brings the process back when it is not running.
func (s Selector) startScript(host string) string {
	if s.Unit != "" {
		return "systemctl start " + Quote(s.Unit)
	}
	pl, _ := s.pidsLine(host)
	return lines(pl, `[ -n "$pids" ] || setsid nohup sh -c `+Quote(s.Start)+` </dev/null >/dev/null 2>&1 &`)
}

// runningStep waits up to 10 s for the process to run again.
func (s Selector) runningStep(host string) Step {
	pl, _ := s.pidsLine(host)
	return Step{Name: "process runs again", Script: lines(`i=0`, `while :; do`, pl,
		`[ -n "$pids" ] && exit 0`, `i=$((i+1)); [ "$i" -lt 50 ] || { echo `+Quote("no process matches "+s.what())+` >&2; exit 1; }`, `sleep 0.2`, `done`)}
}

// procState is a shell snippet printing the state letter of PID $p ("" when
// gone); it skips the command name, which may hold spaces.
const procState = `st=$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null | cut -d' ' -f1)`

// labNode checks that the host is a lab node with a process of its own to
// signal, stop or start.
func labNode(t PlanTarget) error {
	switch {
	case t.Host.Lab == nil:
		return fmt.Errorf("host %s is not a lab node", t.Host.Name)
	case t.Host.Lab.Kind == "kafka":
		return fmt.Errorf("lab node %s is a kfake broker inside the lab process: only partition works on it", t.Host.Name)
	}
	return nil
}
