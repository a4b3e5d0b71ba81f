package inject

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// DiskFill fills the filesystem holding Path until only Free bytes (or
// FreePercent of its size) are left, with one filler file gameday owns.
type DiskFill struct {
	Path        string
	Free        int64
	FreePercent float64 // used when >= 0
}

func init() {
	register(50, KindInfo{Name: "disk-fill", Help: "fill a filesystem with a gameday-owned file (fallocate)", Params: []ParamInfo{
		{Name: "path", Help: "a directory on the filesystem to fill (default in the lab: the node's data dir)"},
		{Name: "free", Default: "0", Help: "what to leave free: bytes (64MiB) or a share of the size (5%)"},
	}}, func(p *params) (Fault, error) {
		f := &DiskFill{Path: p.str("path", ""), FreePercent: -1}
		if v, ok := p.raw("free"); ok {
			if strings.HasSuffix(v, "%") {
				f.FreePercent = p.percent("free", 0)
			} else {
				f.Free = p.bytes("free", 0)
			}
		}
		if f.Path != "" && !path.IsAbs(f.Path) {
			p.fail("path", "%q is not an absolute path", f.Path)
		}
		return f, nil
	})
}

// Kind returns "disk-fill".
func (*DiskFill) Kind() string { return "disk-fill" }

// TakesDown is false: the node stays up (and should say it is full).
func (*DiskFill) TakesDown() bool { return false }

// fillerName is the filler file the fault owns; revert removes only it.
func fillerName(id string) string { return ".gameday-fill-" + id }

// ShellPlan allocates the filler file from statfs figures at inject time.
func (f *DiskFill) ShellPlan(t PlanTarget) (ShellPlan, error) {
	dir := f.Path
	if dir == "" && t.Host.Lab != nil {
		dir = t.Host.Lab.DataDir
	}
	if dir == "" {
		return ShellPlan{}, fmt.Errorf("disk-fill: param path: required for host %s (a directory on the filesystem to fill)", t.Host.Name)
	}
	file := path.Join(dir, fillerName(t.ID))
	leave := "leave=" + strconv.FormatInt(f.Free, 10)
	if f.FreePercent >= 0 {
		leave = `leave=$(awk -v t="$total" -v p=` + Quote(strconv.FormatFloat(f.FreePercent, 'f', -1, 64)) + ` 'BEGIN{printf "%d", t*p/100}')`
	}
	stat := lines(`s=$(stat -f -c '%a %S %b' "$p") || exit 3`, `set -- $s`, `avail=$(($1 * $2)); total=$(($3 * $2))`)
	// Blocks round and metadata takes its share: 1% of the size plus
	// 1 MiB of slack above what was asked to be left free.
	slack := `$((leave + total / 100 + 1048576))`
	return ShellPlan{
		Detect: []Step{{Name: "check path", Script: lines("p="+Quote(dir),
			`[ -d "$p" ] || { echo "$p is not a directory" >&2; exit 3; }`,
			`command -v fallocate >/dev/null 2>&1 || { echo "fallocate is not installed" >&2; exit 3; }`), Fail: "%s"}},
		// The service writes while the filler grows, and blocks round: a
		// filler sized once from a measure taken a moment earlier may not
		// fit. So it grows in steps, each sized from the free space then,
		// halving a step the disk refuses; running out of space once the
		// target is reached is the fault working, and what counts is the
		// free space measured at the end.
		Inject: []Step{{Name: "fallocate " + file, Script: lines("set -e", "p="+Quote(dir), "f="+Quote(file),
			stat, leave,
			`[ "$avail" -gt "$leave" ] || { echo "only $avail bytes are free, asked to leave $leave" >&2; exit 3; }`,
			`: > "$f"; chmod 0600 "$f"`,
			`n=0; cap=; err=`,
			`while [ "$n" -lt 64 ]; do`,
			`  n=$((n + 1))`,
			`  `+strings.ReplaceAll(stat, "\n", "\n  "),
			`  want=$((avail - leave))`,
			`  [ "$want" -gt 0 ] || break`,
			`  [ -z "$cap" ] || [ "$want" -le "$cap" ] || want=$cap`,
			`  have=$(stat -c %s "$f")`,
			`  if err=$(fallocate -o "$have" -l "$want" "$f" 2>&1); then cap=; else cap=$((want / 2)); [ "$cap" -ge 4096 ] || break; fi`,
			`done`,
			stat,
			`[ "$avail" -le `+slack+` ] || { echo "fallocate stopped with $avail bytes free, asked to leave $leave${err:+: $err}" >&2; exit 3; }`), Fail: "%s"}},
		Verify: []Step{{Name: "filler present", Script: lines("p="+Quote(dir), "f="+Quote(file),
			`[ -f "$f" ] || { echo "filler file is missing" >&2; exit 1; }`, stat, leave,
			`[ "$avail" -le `+slack+` ] || { echo "$avail bytes still free" >&2; exit 1; }`)}},
		Revert:     []Step{{Name: "remove filler", Script: "rm -f " + Quote(file)}},
		VerifyGone: []Step{{Name: "filler gone", Script: "[ ! -e " + Quote(file) + " ]"}},
	}, nil
}

// LabPlan runs the same fill locally on the node's data dir (lab nodes live
// on this machine); the lab's guard removes the file.
func (f *DiskFill) LabPlan(t PlanTarget) (LabPlan, error) {
	sp, err := f.ShellPlan(t)
	if err != nil {
		return LabPlan{}, err
	}
	dir := f.Path
	if dir == "" {
		dir = t.Host.Lab.DataDir
	}
	var inject []LabStep
	for _, s := range append(append(append([]Step{}, sp.Detect...), sp.Inject...), sp.Verify...) {
		inject = append(inject, LabStep{Op: LabShell, Node: t.Host.Name, Script: s.Script})
	}
	return LabPlan{Inject: inject, Revert: []LabStep{{Op: LabRemoveFile, Node: t.Host.Name, Path: path.Join(dir, fillerName(t.ID))}}}, nil
}
