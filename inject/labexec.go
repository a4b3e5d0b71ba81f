package inject

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// LabController is the lab's control API as inject uses it: actions run
// synchronously and fail loudly; guards are held by the lab process, which
// runs their actions when the TTL runs out, whoever armed them.
type LabController interface {
	// Do runs steps in order; unless keepGoing the first failure stops it.
	Do(ctx context.Context, keepGoing bool, steps ...LabStep) error
	// ArmGuard has the lab run steps after ttl unless cancelled.
	ArmGuard(ctx context.Context, id string, ttl time.Duration, steps ...LabStep) error
	// CancelGuard drops a guard; an unknown id is not an error.
	CancelGuard(ctx context.Context, id string) error
}

// errNoLab is what lab plans meet when the inventory names no control API.
var errNoLab = errors.New("the inventory does not describe a running lab (no lab.control): start it with `gameday lab up`")

// labGuardSteps are the revert steps the lab itself can run (not local
// scripts, which only inject runs).
func labGuardSteps(steps []LabStep) []LabStep {
	var out []LabStep
	for _, s := range steps {
		if s.Op != LabShell {
			out = append(out, s)
		}
	}
	return out
}

// labFired reads the ids of the guards the lab in dir has fired, from
// <dir>/guards-fired.jsonl.
func labFired(dir string) map[string]bool {
	out := map[string]bool{}
	if dir == "" {
		return out
	}
	f, err := os.Open(filepath.Join(dir, "guards-fired.jsonl"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		var g struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(sc.Bytes(), &g) == nil && g.ID != "" {
			out[g.ID] = true
		}
	}
	return out
}
