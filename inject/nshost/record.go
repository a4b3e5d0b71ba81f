package nshost

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// RecordScripts makes host h keep a copy of every script it is sent to
// run — each `sh -s` of its login sessions, which is how gameday runs a
// step over SSH — and returns a function that lists them in the order
// they started. It is for tests that compare what ran on a host with what
// the operator was shown. The host's sh becomes a wrapper, bind-mounted in
// h's sshd mount namespace like HideTool's files, that files its stdin
// before running it with the real shell; every other use of sh passes
// straight through. Scripts keep gameday's wrapping ("{\n…\n} </dev/null").
func (b *Bed) RecordScripts(h *Host) func() []string {
	b.tb.Helper()
	sh, err := exec.LookPath("sh")
	if err == nil {
		sh, err = filepath.EvalSymlinks(sh)
	}
	if err != nil {
		b.tb.Fatalf("nshost: %v", err)
	}
	real := filepath.Join(h.dir, "sh-real")
	dir := filepath.Join(h.dir, "scripts")
	bin, err := os.ReadFile(sh)
	if err == nil {
		err = os.WriteFile(real, bin, 0o755)
	}
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	wrapper := filepath.Join(h.dir, "sh-recording")
	if err == nil {
		// A file per script, named by when it started; .part until whole.
		err = os.WriteFile(wrapper, []byte(`#!`+real+`
if [ "$#" = 1 ] && [ "$1" = -s ]; then
	f=`+dir+`/$(date +%s%N).$$
	cat >"$f.part" && mv "$f.part" "$f" && exec `+real+` -s <"$f"
	exit 1
fi
exec `+real+` "$@"
`), 0o755)
	}
	if err != nil {
		b.tb.Fatalf("nshost: record scripts on %s: %v", h.Name, err)
	}
	if _, err := run("nsenter", "-t", strconv.Itoa(h.SSHDPid()), "-m", "mount", "--bind", wrapper, sh); err != nil {
		b.tb.Fatalf("nshost: record scripts on %s: %v", h.Name, err)
	}
	return func() []string {
		b.tb.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			b.tb.Fatalf("nshost: %v", err)
		}
		var names []string
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".part") {
				names = append(names, e.Name())
			}
		}
		// Same-width nanosecond stamps: sorting the names sorts by start.
		slices.Sort(names)
		var out []string
		for _, n := range names {
			s, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				b.tb.Fatalf("nshost: %v", err)
			}
			out = append(out, string(s))
		}
		return out
	}
}
