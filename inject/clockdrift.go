package inject

import (
	"fmt"
	"path"
	"strconv"
	"time"
)

// maxDrift bounds a clock step: far enough to break leases and TLS, not so
// far that a failed revert leaves a host in another year.
const maxDrift = 24 * time.Hour

// ClockDrift steps a host's clock by Offset with its NTP client paused, and
// steps it back on revert — or, with FaketimeFile, moves only the clock of
// the service that runs under libfaketime with that control file. In the
// lab it sets the node's libfaketime offset.
type ClockDrift struct {
	Offset       time.Duration
	FaketimeFile string
}

func init() {
	register(60, KindInfo{Name: "clock-drift", Help: "step the clock by an offset (NTP paused; libfaketime in the lab)", Params: []ParamInfo{
		{Name: "offset", Default: "+30s", Help: "signed offset (+30s, -2m)"},
		{Name: "faketime_file", Help: "the service's libfaketime control file (FAKETIME_TIMESTAMP_FILE): drift only that service, not the host's clock"},
	}}, func(p *params) (Fault, error) {
		f := &ClockDrift{Offset: p.duration("offset", 30*time.Second), FaketimeFile: p.str("faketime_file", "")}
		if f.FaketimeFile != "" && !path.IsAbs(f.FaketimeFile) {
			p.fail("faketime_file", "%q is not an absolute path", f.FaketimeFile)
		}
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
	if f.FaketimeFile != "" {
		return f.faketimePlan(t), nil
	}
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

// faketimeOffset is the offset as libfaketime reads it: signed seconds.
func faketimeOffset(d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	if d >= 0 {
		s = "+" + s
	}
	return s
}

// faketimePlan writes the offset into the service's libfaketime control
// file, keeping what it held, and puts that back on revert: the file ends
// byte for byte as it was.
func (f *ClockDrift) faketimePlan(t PlanTarget) ShellPlan {
	file, prev := Quote(f.FaketimeFile), stateFile(t.ID, "faketime")
	off := faketimeOffset(f.Offset)
	return ShellPlan{
		Detect: []Step{{Name: "check " + f.FaketimeFile, Script: lines(`f=`+file,
			`[ -f "$f" ] && [ -w "$f" ] || { echo "$f is not a writable libfaketime control file" >&2; exit 3; }`), Fail: "%s"}},
		Inject: []Step{{Name: "write offset " + off + " to " + f.FaketimeFile, Script: lines("set -e", statePrelude, `f=`+file,
			// The first original is kept: arming twice must not make the
			// offset look like the original.
			`[ -f `+prev+` ] || cp `+file+` `+prev,
			`printf '%s\n' `+Quote(off)+` > "$f"`)}},
		Verify: []Step{{Name: "offset " + off + " set", Script: `[ "$(cat ` + file + `)" = ` + Quote(off) + ` ]`}},
		Revert: []Step{{Name: "restore " + f.FaketimeFile, Script: lines(statePrelude,
			`if [ -f `+prev+` ]; then cat `+prev+` > `+file+` || exit 1; fi`)}},
		VerifyGone: []Step{{Name: "offset undone", Script: lines(statePrelude,
			`[ ! -f `+prev+` ] || cmp -s `+prev+` `+file+` || { echo "the control file still holds $(cat `+file+`)" >&2; exit 1; }`)}},
	}
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
