package tui

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// sshInventory has three SSH hosts of one Cassandra service: plans for
// them are real shell scripts, long enough to wrap and scroll.
func sshInventory() *targets.Inventory {
	inv := &targets.Inventory{Name: "ssh"}
	for i := 1; i <= 3; i++ {
		inv.Hosts = append(inv.Hosts, targets.Host{Name: fmt.Sprintf("db%d", i), Address: fmt.Sprintf("10.20.30.%d", i)})
	}
	inv.Services.Cassandra = []targets.Cassandra{{Name: "main", Hosts: []string{"db1", "db2", "db3"}}}
	return inv
}

// faultIDs finds the fault IDs in a plan (they name its chains and files).
var faultIDs = regexp.MustCompile(`GAMEDAY-([0-9a-f]{8})-`)

// confirmPartition drives the screen, over a real Manager, to the
// confirmation of a two-way partition of db1 from db2 and db3, and
// returns the model (no longer running) showing it.
func confirmPartition(t *testing.T, mgr *inject.Manager, inv *targets.Inventory) *Model {
	t.Helper()
	return toPartitionConfirm(t, mgr, inv, "db2,db3").FinalModelAfterQuit(t)
}

// toPartitionConfirm drives a screen over faults to the confirmation of a
// partition of the first of inv's three hosts from peers, and returns the
// screen, still running.
func toPartitionConfirm(t *testing.T, faults Faults, inv *targets.Inventory, peers string) *screen {
	t.Helper()
	rec := timeline.NewRecorder(timeline.WithClock(fixedNow))
	t.Cleanup(rec.Close)
	m := New(Options{Inventory: inv, Faults: faults, Kinds: inject.Kinds(), Feed: subFeed{rec.Subscribe(64)}, Now: fixedNow})
	sc := start(t, m, 120, 36)
	waitFor(t, sc, "nothing armed")
	steps(t, sc,
		step{keys: []string{"down", "down"}, until: []string{"> partition"}},
		step{keys: []string{"a"}, until: []string{"choose hosts"}},
		step{keys: []string{"space"}, until: []string{"1 of 3 hosts selected"}},
		step{keys: []string{"enter"}, until: []string{": parameters"}},
		step{keys: append(strings.Split(peers, ""), "enter"), until: []string{"blast radius:"}},
	)
	return sc
}

var (
	aboveMark = regexp.MustCompile(`… (\d+) lines above`)
	belowMark = regexp.MustCompile(`… (\d+) more lines`)
)

// dialogLines returns the text inside the dialog box of a screen, one
// entry per line, padding trimmed.
func dialogLines(view string) []string {
	var out []string
	for _, l := range strings.Split(view, "\n") {
		i, j := strings.Index(l, "║ "), strings.LastIndex(l, " ║")
		if i >= 0 && j > i {
			out = append(out, strings.TrimRight(l[i+len("║ "):j], " "))
		}
	}
	return out
}

// scrollPlan scrolls the open confirmation one line at a time from the
// top to the bottom and returns every plan line, by its index in the
// plan, exactly as shown.
func scrollPlan(t *testing.T, m *Model) []string {
	t.Helper()
	byIndex := map[int]string{}
	total := -1
	for range 500 {
		lines := dialogLines(m.View())
		start, end := -1, -1
		for i, l := range lines {
			if strings.HasPrefix(l, "on db") || aboveMark.MatchString(l) {
				if start < 0 {
					start = i
				}
			}
			if strings.HasPrefix(l, "blast radius:") {
				end = i - 1 // a blank line before the verdict
			}
		}
		if start < 0 || end < 0 {
			t.Fatalf("no plan in the dialog:\n%s", m.View())
		}
		first, window := 0, lines[start:end]
		if mm := aboveMark.FindStringSubmatch(window[0]); mm != nil {
			first, _ = strconv.Atoi(mm[1])
			window = window[1:]
		}
		more := 0
		if mm := belowMark.FindStringSubmatch(window[len(window)-1]); mm != nil {
			more, _ = strconv.Atoi(mm[1])
			window = window[:len(window)-1]
		}
		for i, l := range window {
			byIndex[first+i] = l
		}
		if total < 0 {
			total = first + len(window) + more
		}
		if more == 0 {
			break
		}
		m.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	out := make([]string, total)
	for i := range out {
		l, ok := byIndex[i]
		if !ok {
			t.Fatalf("plan line %d of %d never showed while scrolling", i, total)
		}
		out[i] = l
	}
	return out
}

// unwrap joins wrapped pieces back into script lines, keeping the step
// labels: "inject  iptables …".
func unwrap(lines []string) []string {
	var out []string
	cont := false
	for _, l := range lines {
		switch {
		case cont:
			out[len(out)-1] += strings.TrimPrefix(l, strings.Repeat(" ", 12))
		case strings.HasPrefix(l, "on "):
			out = append(out, l)
		default:
			out = append(out, strings.TrimPrefix(l, "  "))
		}
		cont = strings.HasSuffix(out[len(out)-1], "↵")
		out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], "↵")
	}
	return out
}

// expectedPlan is a preview's plan as lines "label   script line".
func expectedPlan(p inject.Preview) []string {
	var out []string
	for _, h := range p.Hosts {
		out = append(out, "on "+h.Host+" (over SSH):")
		for _, sec := range []struct {
			label string
			steps []string
		}{{"detect", h.Detect}, {"guard", h.Guard}, {"inject", h.Inject}, {"verify", h.Verify}, {"revert", h.Revert}, {"gone?", h.VerifyGone}} {
			for _, step := range sec.steps {
				for i, line := range strings.Split(step, "\n") {
					label := ""
					if i == 0 {
						label = sec.label
					}
					out = append(out, strings.TrimRight(fmt.Sprintf("%-8s%s", label, line), " "))
				}
			}
		}
	}
	return out
}

// normalise replaces the fault ID in every line by a fixed one.
func normalise(lines []string, id string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.ReplaceAll(l, id, "0a1b2c3d")
	}
	return out
}

// The confirmation shows every command of a long partition plan whole:
// lines too wide are wrapped, never cut, and scrolling reveals all of
// them (issue 11.2). The golden is the screen at the dialog's first page,
// then every plan line as scrolling shows it.
func TestConfirmShowsALongPartitionPlanWhole(t *testing.T) {
	inv := sshInventory()
	mgr, err := inject.NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	m := confirmPartition(t, mgr, inv)
	first := m.View()
	ids := faultIDs.FindStringSubmatch(first)
	if ids == nil {
		t.Fatalf("no fault ID in the plan shown:\n%s", first)
	}
	scrolled := scrollPlan(t, m)
	shown := unwrap(scrolled)
	for _, l := range shown {
		if strings.Contains(l, "…") {
			t.Fatalf("a plan line is cut: %q", l)
		}
	}
	// The same request previewed again: the same plan, but for its ID.
	p, err := mgr.Preview(t.Context(), inject.Request{Kind: "partition", Hosts: []string{"db1"}, Params: map[string]string{"peers": "db2,db3"}, TTL: inject.DefaultTTL})
	if err != nil {
		t.Fatal(err)
	}
	want := expectedPlan(p)
	id2 := faultIDs.FindStringSubmatch(strings.Join(want, "\n"))[1]
	got, exp := normalise(shown, ids[1]), normalise(want, id2)
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Fatalf("the dialog's plan, unwrapped, is not the plan:\n--- shown\n%s\n--- plan\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	for _, rule := range []string{"-A GAMEDAY-0a1b2c3d-I -s 10.20.30.2 -j DROP", "-A GAMEDAY-0a1b2c3d-O -d 10.20.30.3 -j DROP"} {
		if !strings.Contains(strings.Join(got, "\n"), rule) {
			t.Errorf("the rule %q is not shown whole", rule)
		}
	}
	golden := strings.ReplaceAll(first+"\n\n(every plan line, as scrolling shows it)\n\n"+strings.Join(scrolled, "\n")+"\n", ids[1], "0a1b2c3d")
	teatest.RequireEqualOutput(t, []byte(golden))
}
