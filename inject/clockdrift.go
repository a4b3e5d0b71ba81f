package inject

import (
	"fmt"
	"strconv"
	"time"
)

// maxDrift bounds a clock step: far enough to break leases and TLS, not so
// far that a failed revert leaves a host in another year.
const maxDrift = 24 * time.Hour

// ClockDrift steps a host's clock by Offset with its NTP client paused, and
// steps it back on revert; in the lab it sets the node's libfaketime offset.
type ClockDrift struct {
	Offset time.Duration
}

func init() {
	register(60, KindInfo{Name: "clock-drift", Help: "step the clock by an offset (NTP paused; libfaketime in the lab)", Params: []ParamInfo{
		{Name: "offset", Default: "+30s", Help: "signed offset (+30s, -2m)"},
	}}, func(p *params) (Fault, error) {
		f := &ClockDrift{Offset: p.duration("offset", 30*time.Second)}
		switch {
		case p.err != nil:
		case f.Offset == 0:
			p.fail("offset", "0 changes nothing; give a signed offset such as +30s")
		case f.Offset > maxDrift || f.Offset < -maxDrift:
			p.fail("offset", "%s is beyond the %s gameday allows", f.Offset, maxDrift)
		}
		return f, nil
	})
}

// Kind returns "clock-drift".
func (*ClockDrift) Kind() string { return "clock-drift" }

// TakesDown is false: the node keeps serving, with a wrong clock.
func (*ClockDrift) TakesDown() bool { return false }

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// ShellPlan pauses whichever NTP client is active (remembering which, so
// revert restarts exactly that one), then steps the clock. A state file
// holding the offset makes revert step back once only: reverting twice, or
// the guard and the operator both reverting, never steps twice.
func (f *ClockDrift) ShellPlan(t PlanTarget) (ShellPlan, error) {
	ntp := stateFile(t.ID, "ntp")
	off := stateFile(t.ID, "clock")
	// step moves the clock by o seconds (op "+") or back by o (op "-").
	step := func(o, op string) string {
		return `now=$(date +%s.%N) && date -s "@$(awk -v n="$now" -v o=` + o + ` 'BEGIN{printf "%.3f", n` + op + `o}')" >/dev/null`
	}
	return ShellPlan{
		Detect: []Step{{Name: "check date", Script: `date +%s.%N | grep -q '^[0-9]*\.[0-9]' || { echo "date cannot show nanoseconds (GNU date needed)" >&2; exit 3; }`, Fail: "%s"}},
		Inject: []Step{{Name: "pause NTP and step clock by " + f.Offset.String(), Script: lines("set -e", statePrelude,
			`: > `+ntp,
			`for u in chrony chronyd systemd-timesyncd ntp ntpd ntpsec openntpd; do`,
			`  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$u" 2>/dev/null; then systemctl stop "$u"; echo "$u" >> `+ntp+`; fi`,
			`done`,
			`echo `+Quote(secs(f.Offset))+` > `+off,
			step(Quote(secs(f.Offset)), "+"))}},
		Verify: []Step{{Name: "offset recorded", Script: lines(statePrelude, `[ -f `+off+` ]`)}},
		Revert: []Step{{Name: "step clock back and restart NTP", Script: lines(statePrelude,
			`if [ -f `+off+` ]; then o=$(cat `+off+`); `+step(`"$o"`, "-")+` || exit 1; rm -f `+off+`; fi`,
			`if [ -f `+ntp+` ]; then for u in $(cat `+ntp+`); do systemctl start "$u" || exit 1; done; rm -f `+ntp+`; fi`)}},
		VerifyGone: []Step{{Name: "offset undone", Script: lines(statePrelude, `[ ! -f `+off+` ]`)}},
	}, nil
}

// LabPlan sets the node's libfaketime offset and sets it back to zero.
func (f *ClockDrift) LabPlan(t PlanTarget) (LabPlan, error) {
	if t.Host.Lab == nil || t.Host.Lab.FaketimeFile == "" {
		return LabPlan{}, fmt.Errorf("clock-drift: lab node %s does not run under libfaketime", t.Host.Name)
	}
	sign := "+"
	if f.Offset < 0 {
		sign = ""
	}
	return LabPlan{
		Inject: []LabStep{{Op: LabFaketime, Node: t.Host.Name, Offset: sign + strconv.FormatFloat(f.Offset.Seconds(), 'f', -1, 64) + "s"}},
		Revert: []LabStep{{Op: LabFaketime, Node: t.Host.Name, Offset: "+0"}},
	}, nil
}
