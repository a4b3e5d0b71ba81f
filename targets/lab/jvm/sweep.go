package jvm

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gameday-dev/gameday/internal/proc"
)

// Names a full lab gives what it makes outside its dir, after its pid:
// firewall chains GAMEDAY-LAB-<pid> and GAMEDAY-LAB-<pid>-O, and the cgroup
// gameday-lab-<pid> its JVMs run in.
const (
	labChainPrefix  = "GAMEDAY-LAB-"
	labCgroupPrefix = "gameday-lab-"
	ownerPrefix     = "gameday-lab-start="
)

var labChain = regexp.MustCompile(`^` + labChainPrefix + `([0-9]+)(-O)?$`)

// LabCgroup is the cgroup (relative to the cgroup v2 root) under which the
// lab process pid runs its JVM nodes.
func LabCgroup(pid int) string { return labCgroupPrefix + strconv.Itoa(pid) }

// ownerComment marks a jump with its lab's start time: the chain name
// holds only the pid, and a pid is reused.
func ownerComment(start uint64) string { return ownerPrefix + strconv.FormatUint(start, 10) }

// SweepDeadLabs removes what full labs that died without stopping (kill
// -9, a crash, a power cut of the process) left outside their dirs: their
// firewall chains, with the jumps to them, and their empty cgroups. It
// returns what it removed. A lab counts as dead only when its pid runs no
// process, runs a zombie, or runs a process started at another time than
// the one its jumps record; a chain whose pid runs a process that may be
// its lab (same start time, or none recorded by an older lab) is never
// touched. Without root (no iptables, no cgroups to remove) there is
// nothing it may remove, and it does nothing.
func SweepDeadLabs() ([]string, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	removed, err := sweepChains()
	removed = append(removed, sweepCgroups()...)
	return removed, err
}

// labJumps is what `iptables -S` says of one lab pid's chains.
type labJumps struct {
	chains []string
	starts []uint64 // start times recorded in jumps
}

func sweepChains() ([]string, error) {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil, nil // no iptables: no full lab ever cut anything here
	}
	out, err := iptOut("-S")
	if err != nil {
		return nil, err
	}
	labs := map[int]*labJumps{}
	get := func(pid int) *labJumps {
		if labs[pid] == nil {
			labs[pid] = &labJumps{}
		}
		return labs[pid]
	}
	for _, line := range strings.Split(out, "\n") {
		f := ruleWords(line)
		switch {
		case len(f) == 2 && f[0] == "-N":
			if m := labChain.FindStringSubmatch(f[1]); m != nil {
				pid, _ := strconv.Atoi(m[1])
				get(pid).chains = append(get(pid).chains, f[1])
			}
		case len(f) > 2 && f[0] == "-A" && f[len(f)-2] == "-j":
			m := labChain.FindStringSubmatch(f[len(f)-1])
			if m == nil {
				continue
			}
			pid, _ := strconv.Atoi(m[1])
			for _, w := range f {
				if s, ok := strings.CutPrefix(w, ownerPrefix); ok {
					if start, err := strconv.ParseUint(s, 10, 64); err == nil {
						get(pid).starts = append(get(pid).starts, start)
					}
				}
			}
		}
	}
	var removed []string
	var errs []error
	for pid, l := range labs {
		if !labDead(pid, l.starts) {
			continue
		}
		if err := removeChains(l.chains...); err != nil {
			errs = append(errs, fmt.Errorf("remove the firewall chains of dead lab %d: %w", pid, err))
			continue
		}
		removed = append(removed, l.chains...)
	}
	return removed, errors.Join(errs...)
}

// labDead judges a lab by its pid and the start times its jumps recorded.
func labDead(pid int, starts []uint64) bool {
	st, err := proc.ReadStat(pid)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return true
	case err != nil:
		return false // cannot tell: leave it
	case st.State == 'Z':
		return true
	case len(starts) == 0:
		return false // an older lab's chain, and its pid runs: maybe it
	}
	for _, s := range starts {
		if s == st.Start {
			return false
		}
	}
	return true
}

// removeChains deletes every jump to chains from any built-in chain, then
// flushes and deletes them. A chain already gone (another lab swept it
// first) is no error.
func removeChains(chains ...string) error {
	want := map[string]bool{}
	for _, c := range chains {
		want[c] = true
	}
	out, err := iptOut("-S")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(out, "\n") {
		f := ruleWords(line)
		if len(f) < 3 || f[0] != "-A" || f[len(f)-2] != "-j" || !want[f[len(f)-1]] {
			continue
		}
		f[0] = "-D"
		if err := ipt(f...); err != nil && ipt(append([]string{"-C"}, f[1:]...)...) == nil {
			return err
		}
	}
	for _, c := range chains {
		if ipt("-n", "-L", c) != nil {
			continue
		}
		// A lab that is still tearing itself down may remove the chain
		// between our look and our flush: gone is what we wanted.
		if err := ipt("-F", c); err != nil && ipt("-n", "-L", c) == nil {
			return err
		}
		if err := ipt("-X", c); err != nil && ipt("-n", "-L", c) == nil {
			return err
		}
	}
	return nil
}

// sweepCgroups removes the cgroups of labs whose pid runs nothing. Only
// empty groups can be removed (the kernel refuses others), so a group with
// a process in it stays whatever its name says.
func sweepCgroups() []string {
	root, err := cgroup2Root()
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		s, ok := strings.CutPrefix(e.Name(), labCgroupPrefix)
		pid, err := strconv.Atoi(s)
		if !ok || err != nil || !e.IsDir() || proc.Alive(pid) {
			continue
		}
		if removeTree(filepath.Join(root, e.Name())) == nil {
			removed = append(removed, "cgroup "+e.Name())
		}
	}
	return removed
}

// removeTree removes a cgroup directory and its children, deepest first
// (a cgroup's files cannot be removed, only its directories).
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return os.Remove(dir)
}

// ruleWords splits a line of `iptables -S` into the words iptables took:
// iptables-nft quotes every comment ("gameday-lab-start=1"), and a quoted
// word may hold spaces and backslash-escaped quotes.
func ruleWords(line string) []string {
	var words []string
	var w strings.Builder
	in, inWord := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && in && i+1 < len(line):
			i++
			w.WriteByte(line[i])
		case c == '"':
			in, inWord = !in, true
		case c == ' ' && !in:
			if inWord {
				words = append(words, w.String())
				w.Reset()
			}
			inWord = false
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// iptOut runs iptables, waiting up to 5 s for the xtables lock rather
// than failing, and returns what it printed.
func iptOut(args ...string) (string, error) {
	var stderr strings.Builder
	cmd := exec.Command("iptables", append([]string{"-w", "5"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
