package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// MaxGuardTTL bounds a guard: a fault is never armed without an end.
const MaxGuardTTL = 24 * time.Hour

// guardSet holds the armed guards, mirrored to guards.json so a lab that
// dies with guards pending runs their reverts at its next start.
type guardSet struct {
	dir     string
	mu      sync.Mutex
	guards  map[string]*labapi.Guard
	timers  map[string]*time.Timer
	orphans []*labapi.Guard // loaded from a previous lab's guards.json
	firing  sync.WaitGroup
	closed  bool
	// flaps are the toggling loops of flapping guards, by guard id.
	flaps map[string]*flapRun
	logMu sync.Mutex // serialises appends to the flap log
}

func loadGuards(dir string) (*guardSet, error) {
	gs := &guardSet{dir: dir, guards: map[string]*labapi.Guard{}, timers: map[string]*time.Timer{}, flaps: map[string]*flapRun{}}
	b, err := os.ReadFile(filepath.Join(dir, labapi.GuardsFile))
	if errors.Is(err, os.ErrNotExist) {
		return gs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lab guards: %w", err)
	}
	if err := json.Unmarshal(b, &gs.orphans); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, labapi.GuardsFile), err)
	}
	return gs, nil
}

// arm starts (or re-arms, for a known id) a guard.
func (gs *guardSet) arm(l *Lab, g labapi.Guard) (labapi.Guard, error) {
	if g.ID == "" {
		return g, errors.New("guard: id is empty")
	}
	ttl := time.Duration(g.TTL)
	if ttl <= 0 || ttl > MaxGuardTTL {
		return g, fmt.Errorf("guard %s: ttl %s must be above 0 and at most %s", g.ID, ttl, MaxGuardTTL)
	}
	if len(g.Actions) == 0 {
		return g, fmt.Errorf("guard %s: no revert actions", g.ID)
	}
	if err := checkFlap(g); err != nil {
		return g, err
	}
	// A re-armed guard's old toggling ends first, healed.
	gs.stopFlap(g.ID)
	g.Expires = time.Now().Add(ttl).UTC()
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if gs.closed {
		return g, errors.New("guard: the lab is stopping")
	}
	if t := gs.timers[g.ID]; t != nil {
		t.Stop()
	}
	gc := g
	gs.guards[g.ID] = &gc
	gs.timers[g.ID] = time.AfterFunc(ttl, func() { gs.fire(l, g.ID, "ttl") })
	if err := gs.saveLocked(); err != nil {
		return g, err
	}
	if g.Flap != nil {
		gs.startFlapLocked(l, gc)
	}
	return g, nil
}

// cancel drops a guard without running it; unknown ids are fine (a
// revert that cancels twice).
func (gs *guardSet) cancel(id string) (bool, error) {
	gs.stopFlap(id)
	gs.mu.Lock()
	defer gs.mu.Unlock()
	g := gs.guards[id]
	if g == nil {
		return false, nil
	}
	gs.timers[id].Stop()
	delete(gs.guards, id)
	delete(gs.timers, id)
	return true, gs.saveLocked()
}

// list returns the armed guards by expiry.
func (gs *guardSet) list() []labapi.Guard {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	out := make([]labapi.Guard, 0, len(gs.guards))
	for _, g := range gs.guards {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Expires.Before(out[j].Expires) })
	return out
}

// fire runs a guard's reverts and records it in guards-fired.jsonl.
func (gs *guardSet) fire(l *Lab, id, reason string) {
	gs.stopFlap(id)
	gs.mu.Lock()
	g := gs.guards[id]
	if g == nil {
		gs.mu.Unlock()
		return
	}
	delete(gs.guards, id)
	delete(gs.timers, id)
	gs.firing.Add(1)
	gs.mu.Unlock()
	defer gs.firing.Done()
	gs.run(l, g, reason)
	gs.mu.Lock()
	defer gs.mu.Unlock()
	_ = gs.saveLocked()
}

// run executes g's reverts (all of them, even after a failure) and
// appends the record. While the lab stops, starting nodes is pointless.
func (gs *guardSet) run(l *Lab, g *labapi.Guard, reason string) {
	actions := g.Actions
	if reason != "ttl" {
		actions = nil
		for _, a := range g.Actions {
			if reason == "lab stopped" && a.Op == labapi.OpStart {
				continue
			}
			actions = append(actions, a)
		}
	}
	res := l.Do(actions, true)
	_ = gs.record(labapi.FiredGuard{ID: g.ID, FiredAt: time.Now().UTC(), Reason: reason, Results: res})
}

// record appends one fired guard to guards-fired.jsonl and syncs it.
func (gs *guardSet) record(f labapi.FiredGuard) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	fh, err := os.OpenFile(filepath.Join(gs.dir, labapi.FiredFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("record fired guard: %w", err)
	}
	defer fh.Close()
	if _, err := fh.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("record fired guard: %w", err)
	}
	return fh.Sync()
}

// saveLocked mirrors the armed guards to guards.json; gs.mu must be held.
func (gs *guardSet) saveLocked() error {
	all := make([]*labapi.Guard, 0, len(gs.guards)+len(gs.orphans))
	all = append(all, gs.orphans...)
	for _, g := range gs.guards {
		all = append(all, g)
	}
	path := filepath.Join(gs.dir, labapi.GuardsFile)
	if len(all) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
		return nil
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// runOrphans runs the reverts of guards a dead lab left pending.
func (gs *guardSet) runOrphans(l *Lab) int {
	gs.mu.Lock()
	orphans := gs.orphans
	gs.mu.Unlock()
	for _, g := range orphans {
		gs.run(l, g, "lab restarted")
	}
	gs.mu.Lock()
	gs.orphans = nil
	_ = gs.saveLocked()
	gs.mu.Unlock()
	return len(orphans)
}

// revertAll stops accepting guards, waits for guards already firing, and
// runs the reverts of every guard still armed.
func (gs *guardSet) revertAll(l *Lab, reason string) error {
	gs.mu.Lock()
	gs.closed = true
	flapping := slices.Collect(maps.Keys(gs.flaps))
	gs.mu.Unlock()
	for _, id := range flapping {
		gs.stopFlap(id)
	}
	gs.mu.Lock()
	// Take every guard out of the map: a timer firing right now finds
	// nothing and returns, and one that already took its guard has
	// registered in gs.firing, which we wait for.
	pending := make([]*labapi.Guard, 0, len(gs.guards))
	for id, g := range gs.guards {
		gs.timers[id].Stop()
		pending = append(pending, g)
	}
	gs.guards = map[string]*labapi.Guard{}
	gs.timers = map[string]*time.Timer{}
	gs.mu.Unlock()
	gs.firing.Wait()
	var errs []error
	for _, g := range pending {
		gs.run(l, g, reason)
	}
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if err := gs.saveLocked(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
