package main

import (
	"context"
	"errors"

	"github.com/charmbracelet/lipgloss"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/runbooks"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/tui"
	probespane "github.com/gameday-dev/gameday/tui/panes/probes"
)

// screenOptions wires one screen to a session through the person's
// attachment: events, faults and notes all go through it, so the role
// decides what the screen shows and may do. r renders the screen's
// styles (nil: this process's terminal).
func screenOptions(sess *session.Session, att *session.Attachment, r *lipgloss.Renderer) tui.Options {
	var known []probespane.Known
	for _, p := range sess.Probes() {
		known = append(known, probespane.Known{Probe: p.Probe, Target: p.Target, Thresholds: p.Thresholds})
	}
	o := tui.Options{
		Inventory:   sess.Inventory(),
		Kinds:       inject.Kinds(),
		Feed:        att,
		Faults:      att,
		Notes:       att,
		Seat:        att,
		JournalPath: sess.Path(),
		Probes:      known,
		ReadOnly:    sess.ReadOnly(),
		Renderer:    r,
		Export: func() (string, error) {
			if err := sess.Recorder().Flush(); err != nil {
				return "", err
			}
			return sess.Report("")
		},
	}
	if inv := sess.Inventory(); inv != nil && len(inv.Services.Redis) > 0 {
		// The picker labels master and replica as the Sentinels say now.
		o.Roles = roles.New(inv).Resolve
	}
	if dr := sess.Drill(); dr != nil {
		o.Drill = drillScreen(sess, att)
	}
	if rb := sess.Runbook(); rb != nil && !sess.ReadOnly() {
		o.Runbook = &tui.Runbook{Name: rb.Name, Run: func(ask func(context.Context, inject.Preview) (bool, error)) (string, string, error) {
			return verdict(att.RunRunbook(ask))
		}}
		o.Runbook.Running = sess.RunbookRunning
		o.Runbook.Follow = func(ask func(context.Context, inject.Preview) (bool, error)) (string, string, error) {
			res, err := att.FollowRunbook(ask)
			if errors.Is(err, session.ErrNoRunbookRunning) {
				return "", "", nil // it ended before this screen could join
			}
			return verdict(res, err)
		}
	}
	return o
}

// drillScreen wires a drill's screen to the person's attachment: a
// trainee declares through it, a trainer confirms, and what the pane shows
// beyond the briefing (the plan, the board, the reveal) is what the
// attachment gives that role.
func drillScreen(sess *session.Session, att *session.Attachment) *tui.Drill {
	dr := sess.Drill()
	d := &tui.Drill{
		Name: dr.Name, Briefing: dr.Briefing,
		Trainee:   att.Person().Role == session.Trainee,
		Kinds:     session.FaultKinds(),
		Diagnose:  att.Diagnose,
		Mitigated: att.Mitigated,
		Confirm:   att.Confirm,
		Trainees:  sess.Trainees,
		Board: func() (string, error) {
			b, err := att.Score()
			if err != nil {
				return "", err
			}
			return b.Truths() + "\n" + b.Table(), nil
		},
	}
	for _, h := range sess.Inventory().Hosts {
		d.Hosts = append(d.Hosts, h.Name)
	}
	if plan, err := att.DrillPlan(); err == nil {
		d.Head = plan
	}
	return d
}

// verdict is a runbook run's result as the TUI shows it.
func verdict(res runbooks.Result, err error) (string, string, error) {
	switch {
	case err != nil:
		return "", "", err
	case res.RollbackErr != nil:
		return res.Verdict, "rollback failed: " + res.RollbackErr.Error(), nil
	}
	return res.Verdict, res.Reason, nil
}
