package inject

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// Statuses of a host whose guard fired.
const (
	statusExpired        = "expired: the TTL guard reverted it, verified gone"
	statusExpiredFailedP = "expired, revert failed: "
)

// reconcile settles the active faults past their deadline whose every
// touched host shows a fired guard: expired when each verified gone (by
// the guard, or by gameday after it), "expired, revert failed" otherwise —
// and then the fault stays active, for revert --all to try again.
func (m *Manager) reconcile(ctx context.Context, all []*Record) {
	now := time.Now()
	for _, r := range all {
		if !r.Active() || r.State == StateExpiredFailed || now.Before(r.Deadline) {
			continue
		}
		// A live process arming or reverting the fault is settling it.
		if (r.State == StateArming || r.State == StateReverting) && r.Session.Liveness() == SessionAlive {
			continue
		}
		hes, err := m.touched(r)
		if err != nil || len(hes) == 0 {
			continue
		}
		whys := make([]string, len(hes))
		fired := fanOut(ctx, every(5*time.Second), hes, func(ctx context.Context, i int, he hostEntry) error {
			o, err := he.exec.GuardOutcome(ctx, he.host, he.guard)
			switch {
			case err != nil:
				return err
			case !o.Fired:
				return errNotFired
			case o.Verified:
				return nil
			}
			// The guard could not verify; gameday checks for itself.
			if verr := runSteps(ctx, he.exec, he.host, he.e.VerifyGone, nil); verr != nil || len(he.e.VerifyGone) == 0 {
				why := o.Why
				if verr != nil {
					why += "; " + verr.Error()
				}
				whys[i] = why
			}
			return nil
		})
		if JoinErrors(fired) != nil {
			continue // some guard has not fired, or its host did not answer
		}
		var failed []string
		w := m.unwatchFlap(r.ID)
		for i, he := range hes {
			if whys[i] != "" {
				he.e.Status = statusExpiredFailedP + whys[i]
				failed = append(failed, "host "+he.name+": "+whys[i])
				continue
			}
			// The marker and the guard's state files go (a flap's log
			// once read).
			w.poll(ctx, he.exec, he.host, he.guard)
			_, cancel := he.exec.Guard(he.guard)
			_ = he.exec.Run(ctx, he.host, cancel)
			he.e.Touched, he.e.Status = false, statusExpired
		}
		r.Updated = time.Now().UTC()
		if len(failed) > 0 {
			r.State, r.Error = StateExpiredFailed, strings.Join(failed, "; ")
			if m.ledger.Put(r) == nil {
				m.event(timeline.FaultFailed, r, "%s on %s expired, revert failed: %s", r.Kind, hostList(r.Hosts), r.Error)
			}
			continue
		}
		r.State = StateExpired
		if m.ledger.Put(r) == nil {
			m.event(timeline.FaultExpired, r, "%s on %s expired: the TTL guards reverted it, verified gone", r.Kind, hostList(r.Hosts))
		}
	}
}

// errNotFired marks a host whose guard has not fired (yet).
var errNotFired = fmt.Errorf("the guard has not fired")
