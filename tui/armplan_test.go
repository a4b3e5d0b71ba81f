package tui

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
)

// armSpy is a real fault manager that keeps the plan the screen arms.
type armSpy struct {
	*inject.Manager
	armed chan inject.Preview
}

func (s armSpy) ArmPlan(ctx context.Context, p inject.Preview) (inject.Armed, error) {
	s.armed <- p
	return s.Manager.ArmPlan(ctx, p)
}

// Arming from the confirmation runs on the host exactly what the dialog
// showed: on a real sshd namespace host, the fault id the dialog names is
// the one armed and named on the host's chains, and every script the host
// ran (recorded on the host) is, byte for byte and in order, a step of the
// plan the dialog held — detect, guard, inject, verify (issue 11.2). That
// the dialog shows that plan line for line is
// TestConfirmShowsALongPartitionPlanWhole's.
func TestConfirmArmsThePlanItShowed(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	bed := nshost.New(t, 3, nshost.Options{})
	h1 := bed.Hosts[0]
	inv := bed.Inventory()
	mgr, err := inject.NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = mgr.RevertAll(context.Background()); mgr.Close() })
	spy := armSpy{Manager: mgr, armed: make(chan inject.Preview, 1)}
	sc := toPartitionConfirm(t, spy, inv, bed.Hosts[1].Name+","+bed.Hosts[2].Name)
	waitFor(t, sc, "(id ")
	shownID := regexp.MustCompile(`fault +partition +\(id ([0-9a-f]{8})\)`).FindSubmatch(sc.seen.Bytes())
	if shownID == nil {
		t.Fatalf("the confirmation names no fault id:\n%s", sc.seen.String())
	}
	ran := bed.RecordScripts(h1)
	steps(t, sc, step{keys: []string{"y"}, until: []string{"armed partition " + string(shownID[1]) + " on " + h1.Name}})
	p := <-spy.armed
	if p.ID != string(shownID[1]) {
		t.Fatalf("the dialog showed id %s and armed the plan of %s", shownID[1], p.ID)
	}
	var want []string
	for _, steps := range [][]string{p.Hosts[0].Detect, p.Hosts[0].Guard, p.Hosts[0].Inject, p.Hosts[0].Verify} {
		for _, s := range steps {
			_, script, _ := strings.Cut(s, "\n") // after "# step name"
			want = append(want, "{\n"+script+"\n} </dev/null\n")
		}
	}
	var got []string
	for _, script := range ran() {
		// inject runs the guard, inject and verify steps as one batch.
		body := strings.TrimSuffix(strings.TrimPrefix(script, "{\n"), "\n} </dev/null\n")
		for _, s := range inject.BatchSteps(body) {
			got = append(got, "{\n"+s+"\n} </dev/null\n")
		}
	}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("the host ran:\n%s\nthe dialog's plan:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rules := bed.Snapshot(h1); !strings.Contains(rules, "GAMEDAY-"+p.ID+"-I") {
		t.Fatalf("the host has no chain GAMEDAY-%s-I:\n%s", p.ID, rules)
	}
	sc.FinalModelAfterQuit(t)
}

// A plan that no longer holds at the confirmation arms nothing: the
// screen shows the plan as it is now, under the same id, and says what
// changed (#11.2). Here db2 moved to another address between the preview
// and y, so db1's DROP rules would name another peer.
func TestConfirmShowsAChangedPlanAgain(t *testing.T) {
	inv := sshInventory()
	mgr, err := inject.NewManager(inv, nil, filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	sc := toPartitionConfirm(t, mgr, inv, "db2,db3")
	waitFor(t, sc, "(id ")
	shownID := regexp.MustCompile(`fault +partition +\(id ([0-9a-f]{8})\)`).FindSubmatch(sc.seen.Bytes())
	if shownID == nil {
		t.Fatalf("the confirmation names no fault id:\n%s", sc.seen.String())
	}
	inv.Hosts[1].Address = "10.20.30.42"
	steps(t, sc, step{keys: []string{"y"}, until: []string{"nothing armed: the steps on db1 changed since you confirmed it"}})
	m := sc.FinalModelAfterQuit(t)
	if all, err := mgr.List(false); err != nil || len(all) != 0 {
		t.Fatalf("a changed plan armed %+v (%v)", all, err)
	}
	if !strings.Contains(m.View(), "(id "+string(shownID[1])+")") {
		t.Fatalf("the plan shown again is not under the id shown, %s:\n%s", shownID[1], m.View())
	}
	plan := strings.Join(unwrap(scrollPlan(t, m)), "\n")
	if !strings.Contains(plan, "10.20.30.42") || strings.Contains(plan, "10.20.30.2 ") {
		t.Fatalf("the plan shown again does not drop db2's new address:\n%s", plan)
	}
}
