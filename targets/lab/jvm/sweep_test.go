package jvm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/internal/proc"
)

// chains lists the user chains iptables has now.
func chains(t *testing.T) []string {
	t.Helper()
	out, err := iptOut("-S")
	if err != nil {
		t.Fatal(err)
	}
	var cs []string
	for _, l := range strings.Split(out, "\n") {
		if c, ok := strings.CutPrefix(l, "-N "); ok {
			cs = append(cs, c)
		}
	}
	return cs
}

// TestSweepDeadLabs makes lab chains the way labs make them, for owners
// that are gone and owners that may be alive, and checks that the sweep
// removes exactly the former.
func TestSweepDeadLabs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for iptables")
	}
	self, err := proc.Self()
	if err != nil {
		t.Fatal(err)
	}
	// A process that has exited and been reaped: its pid runs nothing.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	// A live process whose pid an older lab (no start time recorded) may
	// have had.
	alive := exec.Command("sleep", "600")
	if err := alive.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alive.Process.Kill(); alive.Wait() })
	init, err := proc.StartTime(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.255.%d.%d", rand.IntN(250), 1+rand.IntN(250))
	walls := map[string]struct {
		fw    *Firewall
		swept bool
	}{
		"this live lab":                      {NewLabFirewall(self), false},
		"a lab whose pid runs nothing":       {NewLabFirewall(proc.ID{PID: gone.Process.Pid, Start: 12345}), true},
		"a lab whose pid was reused (pid 1)": {NewLabFirewall(proc.ID{PID: 1, Start: init + 1}), true},
		"an older lab, pid running":          {NewFirewall(labChainPrefix + fmt.Sprint(alive.Process.Pid)), false},
	}
	for name, w := range walls {
		if err := w.fw.Isolate(addr, ""); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { w.fw.Remove() })
	}
	removed, err := SweepDeadLabs()
	if err != nil {
		t.Fatalf("SweepDeadLabs: %v", err)
	}
	now := chains(t)
	for name, w := range walls {
		for _, c := range []string{w.fw.Chain, w.fw.out()} {
			if got := slices.Contains(now, c); got == w.swept {
				t.Errorf("%s: chain %s present=%v after the sweep, want %v", name, c, got, !w.swept)
			}
			if w.swept && !slices.Contains(removed, c) {
				t.Errorf("%s: %s not in the sweep's report %v", name, c, removed)
			}
		}
	}
	if out, _ := iptOut("-S"); strings.Contains(out, "-j "+walls["a lab whose pid runs nothing"].fw.Chain) {
		t.Errorf("a jump to a swept chain is left:\n%s", out)
	}
	// The live lab's rule still cuts.
	if !walls["this live lab"].fw.Isolated(addr) {
		t.Error("the live lab's cut was lifted by the sweep")
	}
}

// TestSweepDeadLabsOlderChain: a chain an older lab made (no start time in
// its jump) is swept once its pid runs nothing.
func TestSweepDeadLabsOlderChain(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for iptables")
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	fw := NewFirewall(labChainPrefix + fmt.Sprint(gone.Process.Pid))
	if err := fw.Isolate(fmt.Sprintf("127.255.%d.%d", rand.IntN(250), 1+rand.IntN(250)), ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fw.Remove() })
	if _, err := SweepDeadLabs(); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(chains(t), fw.Chain) {
		t.Fatalf("%s (an older lab's, pid gone) survived the sweep", fw.Chain)
	}
}

// TestSweepDeadLabsCgroups: a dead lab's empty cgroups go; a live one's
// stay.
func TestSweepDeadLabsCgroups(t *testing.T) {
	root, err := cgroup2Root()
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and cgroup v2")
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(root, LabCgroup(gone.Process.Pid), "cassandra", "n1")
	live := filepath.Join(root, LabCgroup(os.Getpid()), "kafka", "n1")
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { removeTree(filepath.Join(root, LabCgroup(os.Getpid()))) })
	removed, err := SweepDeadLabs()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, LabCgroup(gone.Process.Pid))); !os.IsNotExist(err) {
		t.Errorf("the dead lab's cgroup is left (%v); sweep removed %v", err, removed)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live lab's cgroup was removed: %v", err)
	}
}

func TestRuleWords(t *testing.T) {
	cases := map[string][]string{
		`-A INPUT -m comment --comment "gameday-lab-start=23" -j GAMEDAY-LAB-1`: {"-A", "INPUT", "-m", "comment", "--comment", "gameday-lab-start=23", "-j", "GAMEDAY-LAB-1"},
		`-A INPUT -m comment --comment gameday-lab-start=23 -j X`:               {"-A", "INPUT", "-m", "comment", "--comment", "gameday-lab-start=23", "-j", "X"},
		`-A OUTPUT -m comment --comment "a \"b\" c" -j Y`:                       {"-A", "OUTPUT", "-m", "comment", "--comment", `a "b" c`, "-j", "Y"},
		`-N GAMEDAY-LAB-7`:       {"-N", "GAMEDAY-LAB-7"},
		`-A X --comment "" -j Y`: {"-A", "X", "--comment", "", "-j", "Y"},
	}
	for line, want := range cases {
		if got := ruleWords(line); !slices.Equal(got, want) {
			t.Errorf("ruleWords(%s) = %q, want %q", line, got, want)
		}
	}
}
