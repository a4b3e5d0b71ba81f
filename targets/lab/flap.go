package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// flapRun is one flapping guard's toggling loop.
type flapRun struct {
	stop chan struct{} // closed to end the toggling
	done chan struct{} // closed once the loop returned
}

// minFlapPhase is the shortest phase a flap may have.
const minFlapPhase = 100 * time.Millisecond

// checkFlap refuses a flap the lab cannot run.
func checkFlap(g labapi.Guard) error {
	f := g.Flap
	switch {
	case f == nil:
		return nil
	case time.Duration(f.Cut) < minFlapPhase || time.Duration(f.Heal) < minFlapPhase:
		return fmt.Errorf("guard %s: flap phases cut %s and heal %s must each be at least %s", g.ID, time.Duration(f.Cut), time.Duration(f.Heal), minFlapPhase)
	case len(f.Inject) == 0:
		return fmt.Errorf("guard %s: flap has no inject actions", g.ID)
	}
	return nil
}

// startFlapLocked starts g's toggling; gs.mu must be held.
func (gs *guardSet) startFlapLocked(l *Lab, g labapi.Guard) {
	fr := &flapRun{stop: make(chan struct{}), done: make(chan struct{})}
	gs.flaps[g.ID] = fr
	go gs.flap(l, g, fr)
}

// stopFlap ends guard id's toggling and waits until the loop returned
// (healed, if it was in a cut). It reports whether the guard was flapping.
func (gs *guardSet) stopFlap(id string) bool {
	gs.mu.Lock()
	fr := gs.flaps[id]
	delete(gs.flaps, id)
	gs.mu.Unlock()
	if fr == nil {
		return false
	}
	close(fr.stop)
	<-fr.done
	return true
}

// flap toggles g until stopped: cut (g.Flap.Inject, the cut and its
// in-place checks), log, wait Cut, heal (g.Actions, the revert and its
// gone checks), log, wait Heal. Only a toggle whose every action passed is
// logged as verified; one that failed heals and ends the loop, logged
// failed. A stop during a cut heals first: the loop always ends healed.
func (gs *guardSet) flap(l *Lab, g labapi.Guard, fr *flapRun) {
	defer close(fr.done)
	n := 0
	note := func(state, why string) {
		n++
		gs.logToggle(labapi.Toggle{Guard: g.ID, N: n, State: state, At: time.Now().UTC(), Why: why})
	}
	heal := func() error { return labapi.FirstError(l.Do(g.Actions, true)) }
	wait := func(d labapi.Duration) bool {
		t := time.NewTimer(time.Duration(d))
		defer t.Stop()
		select {
		case <-fr.stop:
			return false
		case <-t.C:
			return true
		}
	}
	for {
		select {
		case <-fr.stop:
			return
		default:
		}
		if err := labapi.FirstError(l.Do(g.Flap.Inject, false)); err != nil {
			_ = heal()
			note("failed", "cut: "+err.Error())
			return
		}
		note("cut", "")
		wait(g.Flap.Cut) // stopped or not, the heal comes next
		if err := heal(); err != nil {
			_ = heal()
			note("failed", "heal: "+err.Error())
			return
		}
		note("healed", "")
		if !wait(g.Flap.Heal) {
			return
		}
	}
}

// logToggle appends t to the flap log and syncs it.
func (gs *guardSet) logToggle(t labapi.Toggle) {
	b, err := json.Marshal(t)
	if err != nil {
		return
	}
	gs.logMu.Lock()
	defer gs.logMu.Unlock()
	fh, err := os.OpenFile(filepath.Join(gs.dir, labapi.FlapFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	defer fh.Close()
	if _, err := fh.Write(append(b, '\n')); err == nil {
		_ = fh.Sync()
	}
}
