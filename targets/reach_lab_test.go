package targets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

// TestCheckLabNodesLive: `gameday check` judges a lab node by what the lab
// runs now, not by the pid the inventory was written with — a node killed
// and started again by a revert is fine under its new pid — and the lab's
// control row proves the token can be read.
func TestCheckLabNodesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab")
	}
	// The Toxiproxy API is served only when asked; its check row is tested
	// here.
	l := labtest.Start(t, lab.Options{NoKafka: true, ToxiproxyAPI: true})
	inv, err := targets.Load(l.InventoryPath()) // the file on disk, as check reads it
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := l.Client()
	do := func(a labapi.Action) {
		t.Helper()
		res, err := c.Do(ctx, false, a)
		if err == nil {
			err = labapi.FirstError(res)
		}
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	check := func(name string) targets.Readiness {
		t.Helper()
		h, ok := inv.Host(name)
		if !ok {
			t.Fatalf("no host %s in the lab inventory", name)
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return targets.CheckHost(cctx, inv, h)
	}
	h, _ := inv.Host("redis-2")
	old := h.Lab.PID

	t.Run("killed and started again", func(t *testing.T) {
		do(labapi.Action{Op: labapi.OpSignal, Node: "redis-2", Signal: "KILL"})
		do(labapi.Action{Op: labapi.OpStart, Node: "redis-2"})
		live := 0
		for _, n := range l.Nodes() {
			if n.Name == "redis-2" {
				live = n.PID
			}
		}
		if live == 0 || live == old {
			t.Fatalf("redis-2 runs as pid %d after the restart (inventory: %d)", live, old)
		}
		want := fmt.Sprintf("pid %d running (restarted since the inventory's pid %d), listening", live, old)
		if r := check("redis-2"); !r.OK || r.Detail != want {
			t.Fatalf("check redis-2 = %+v, want ok %q", r, want)
		}
		// The whole check agrees: every row is ok.
		for _, r := range targets.Reach(ctx, inv, targets.ReachOptions{Timeout: 5 * time.Second}) {
			if !r.OK {
				t.Errorf("check row %s %s: %s", r.Item, r.Kind, r.Detail)
			}
		}
	})
	t.Run("paused", func(t *testing.T) {
		do(labapi.Action{Op: labapi.OpSignal, Node: "redis-3", Signal: "STOP"})
		defer do(labapi.Action{Op: labapi.OpSignal, Node: "redis-3", Signal: "CONT"})
		if r := check("redis-3"); r.OK || !strings.HasPrefix(r.Detail, "the lab reports redis-3 paused (pid ") {
			t.Fatalf("check of a paused node = %+v, want FAIL saying paused", r)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		do(labapi.Action{Op: labapi.OpStop, Node: "sentinel-3"})
		defer do(labapi.Action{Op: labapi.OpStart, Node: "sentinel-3"})
		if r := check("sentinel-3"); r.OK || r.Detail != "the lab reports sentinel-3 stopped" {
			t.Fatalf("check of a stopped node = %+v, want FAIL saying stopped", r)
		}
	})
	t.Run("lab endpoints", func(t *testing.T) {
		rows := targets.CheckLab(ctx, *inv.Lab)
		if len(rows) != 2 || !rows[0].OK || rows[0].Detail != "answers: 6 nodes" || !rows[1].OK || !strings.HasPrefix(rows[1].Detail, "toxiproxy ") {
			t.Fatalf("CheckLab = %+v, want the control API answering with the token, and Toxiproxy", rows)
		}
		noDir := *inv.Lab
		noDir.Dir = ""
		rows = targets.CheckLab(ctx, noDir)
		if rows[0].OK || !strings.Contains(rows[0].Detail, "refused the request") {
			t.Fatalf("CheckLab without the lab dir = %+v, want the refusal", rows[0])
		}
		gone := *inv.Lab
		gone.Control, gone.Toxiproxy = inv.Services.Redis[0].Sentinels[0], "" // answers, but not HTTP
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if rows = targets.CheckLab(short, gone); len(rows) != 1 || rows[0].OK {
			t.Fatalf("CheckLab on something that is not the lab = %+v, want FAIL", rows)
		}
	})
}
