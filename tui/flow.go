package tui

import (
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/dialog"
	"github.com/gameday-dev/gameday/tui/panes/armed"
	"github.com/gameday-dev/gameday/tui/panes/palette"
)

// Answers of the root's own Choice dialogs.
type (
	revertAllConfirmedMsg struct{}
	revertOrphansMsg      struct{ ids []string }
	quitRevertMsg         struct{}
	quitLeaveMsg          struct{}
)

func (m *Model) hosts() []targets.Host {
	if m.opts.Inventory == nil {
		return nil
	}
	return m.opts.Inventory.Hosts
}

// onChoose starts arming: the host picker.
func (m *Model) onChoose(msg palette.ChooseMsg) tea.Cmd {
	if m.c.ReadOnly {
		return nil
	}
	p := dialog.NewPicker(m.dialogCommon(), msg.Kind, m.hosts())
	m.dialog = p
	if m.opts.Roles == nil {
		return nil
	}
	p.AwaitRoles()
	return m.rolesCmd()
}

// onFormDone asks for the preview; the confirm dialog shows it as pending
// until it arrives.
func (m *Model) onFormDone(msg dialog.FormDoneMsg) tea.Cmd {
	d := dialog.NewConfirm(m.dialogCommon(), msg.Request)
	d.SetArmed(m.armedLines())
	m.dialog = d
	return m.previewCmd(msg.Request)
}

// armedLines describes what is armed already, for the confirmation: on a
// shared session another facilitator may have armed it.
func (m *Model) armedLines() []string {
	var lines []string
	for _, f := range m.armed.Faults() {
		l := fmt.Sprintf("%s  %s on %s  %s  guard in %s", f.ID, f.Request.Kind,
			strings.Join(f.Request.Hosts, ","), common.Params(f.Request.Params), common.Duration(f.Deadline.Sub(m.c.Now())))
		if m.opts.Seat != nil {
			if by := m.opts.Seat.ArmedBy(f.ID); by != "" {
				l += "  by " + by
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func (m *Model) onPreview(msg previewMsg) {
	if d, ok := m.dialog.(*dialog.Confirm); ok && sameRequest(d.Request(), msg.req) {
		d.SetPreview(msg.preview, msg.err)
	}
}

func sameRequest(a, b inject.Request) bool {
	return a.Kind == b.Kind && strings.Join(a.Hosts, ",") == strings.Join(b.Hosts, ",") &&
		common.Params(a.Params) == common.Params(b.Params) && a.TTL == b.TTL
}

// onArm arms the confirmed request; the Armed pane shows it as pending.
func (m *Model) onArm(msg dialog.ArmMsg) tea.Cmd {
	m.dialog = nil
	if m.c.ReadOnly {
		return nil
	}
	r := msg.Preview.Request
	op := m.beginOp(fmt.Sprintf("arming %s on %s", r.Kind, strings.Join(r.Hosts, ",")))
	m.status.Message = "arming " + r.Kind + "…"
	return tea.Batch(m.armCmd(op, msg.Preview), m.startTicking())
}

func (m *Model) onArmed(msg armedMsg) tea.Cmd {
	m.endOp(msg.op)
	var changed *inject.PlanChangedError
	if errors.As(msg.err, &changed) && m.dialog == nil {
		// Nothing armed: what would run now is not what was confirmed.
		// Show the plan as it stands, to be read and confirmed again.
		d := dialog.NewConfirm(m.dialogCommon(), changed.Now.Request)
		d.SetPreview(changed.Now, nil)
		d.SetChanged(msg.shown)
		d.SetArmed(m.armedLines())
		m.dialog = d
		m.status.Message = "nothing armed: the plan changed; read it again"
		return m.listCmd()
	}
	if msg.err != nil {
		m.status.Message = "error: arm failed: " + msg.err.Error()
	} else {
		m.status.Message = fmt.Sprintf("armed %s %s on %s", msg.armed.Request.Kind, msg.armed.ID, strings.Join(msg.armed.Request.Hosts, ","))
	}
	return m.listCmd()
}

func (m *Model) onRevert(msg armed.RevertMsg) tea.Cmd {
	if m.c.ReadOnly {
		return nil
	}
	op := m.beginOp("reverting " + msg.ID)
	m.status.Message = "reverting " + msg.ID + "…"
	return tea.Batch(m.revertCmd(op, []string{msg.ID}, false), m.startTicking())
}

// onRevertAll asks once before reverting everything.
func (m *Model) onRevertAll() {
	if m.c.ReadOnly || m.armed.Count() == 0 {
		return
	}
	k := m.c.Keys
	body := []string{fmt.Sprintf("Revert %s now?", plural(m.armed.Count(), "armed fault", "armed faults"))}
	for _, f := range m.armed.Faults() {
		body = append(body, fmt.Sprintf("  %s  %s on %s", f.ID, f.Request.Kind, strings.Join(f.Request.Hosts, ",")))
	}
	m.dialog = dialog.NewChoice(m.dialogCommon(), "Revert all", body,
		dialog.Option{Key: dialog.WithHelp(k.Confirm, "yes, revert all"), Msg: revertAllConfirmedMsg{}})
}

func (m *Model) onRevertAllConfirmed() tea.Cmd {
	m.dialog = nil
	op := m.beginOp("reverting all faults")
	m.status.Message = "reverting all faults…"
	return tea.Batch(m.revertAllCmd(op, false), m.startTicking())
}

func (m *Model) onReverted(msg revertedMsg) tea.Cmd {
	m.endOp(msg.op)
	ids := make([]string, len(msg.faults))
	for i, f := range msg.faults {
		ids[i] = f.ID
	}
	switch {
	case msg.err != nil:
		m.status.Message = "error: " + msg.err.Error()
		m.dialog = nil
	case msg.quitAfter:
		m.outcome.Reverted = true
		return tea.Quit
	case len(ids) == 0:
		m.status.Message = "nothing to revert"
	default:
		m.status.Message = "reverted " + strings.Join(ids, ", ")
	}
	return m.listCmd()
}

func (m *Model) onList(msg listMsg) tea.Cmd {
	m.lastList = m.c.Now()
	if msg.err != nil {
		m.status.Message = "error: cannot read the ledger: " + msg.err.Error()
		return nil
	}
	m.armed.SetFaults(msg.faults)
	m.status.Armed = m.armed.Count()
	return m.startTicking()
}

// onOrphans offers to revert faults a dead session left armed.
func (m *Model) onOrphans(msg orphansMsg) {
	if msg.err != nil {
		m.status.Message = "error: cannot read the ledger: " + msg.err.Error()
		return
	}
	if len(msg.faults) == 0 || m.c.ReadOnly {
		return
	}
	body := []string{"A previous gameday session ended with these faults still armed:", ""}
	ids := make([]string, len(msg.faults))
	for i, f := range msg.faults {
		ids[i] = f.ID
		body = append(body, fmt.Sprintf("  %s  %-10s on %s  armed %s, guard reverts at %s",
			f.ID, f.Request.Kind, strings.Join(f.Request.Hosts, ","),
			f.ArmedAt.Format("15:04:05"), f.Deadline.Format("15:04:05")))
	}
	k := m.c.Keys
	m.dialog = dialog.NewChoice(m.dialogCommon(), "Orphaned faults", body,
		dialog.Option{Key: dialog.WithHelp(k.Revert, "revert them now"), Msg: revertOrphansMsg{ids: ids}},
		dialog.Option{Key: dialog.WithHelp(k.Leave, "leave them to their TTL guards"), Msg: dialog.CloseMsg{}})
}

func (m *Model) onRevertOrphans(msg revertOrphansMsg) tea.Cmd {
	m.dialog = nil
	op := m.beginOp("reverting " + plural(len(msg.ids), "orphaned fault", "orphaned faults"))
	return tea.Batch(m.revertCmd(op, msg.ids, false), m.startTicking())
}

func (m *Model) onExported(msg exportedMsg) {
	if msg.err != nil {
		m.status.Message = "error: export failed: " + msg.err.Error()
		return
	}
	m.status.Message = "timeline written to " + msg.path
}

// quit quits at once when nothing is armed by this screen or the screen
// is one of many on a shared session; otherwise it asks whether to revert
// everything first or leave the faults to their TTL guards.
func (m *Model) quit() tea.Cmd {
	// A screen among many on a shared session only detaches: the faults
	// belong to the session, which outlives it.
	if m.opts.Shared || m.c.ReadOnly || (m.armed.Count() == 0 && len(m.pending) == 0 && m.runbook != "running") {
		return tea.Quit
	}
	k := m.c.Keys
	body := []string{plural(m.armed.Count(), "fault is", "faults are") + " armed:"}
	for _, f := range m.armed.Faults() {
		body = append(body, fmt.Sprintf("  %s  %-10s on %s  guard reverts in %s",
			f.ID, f.Request.Kind, strings.Join(f.Request.Hosts, ","), common.Duration(f.Deadline.Sub(m.c.Now()))))
	}
	if len(m.pending) > 0 {
		body = append(body, plural(len(m.pending), "operation is", "operations are")+" still in flight.")
	}
	if m.runbook == "running" {
		body = append(body, "The runbook "+m.opts.Runbook.Name+" is running: quitting stops it and it rolls back its faults.")
	}
	m.dialog = dialog.NewChoice(m.dialogCommon(), "Quit with faults armed?", body,
		dialog.Option{Key: dialog.WithHelp(k.Revert, "revert all, then quit"), Msg: quitRevertMsg{}},
		dialog.Option{Key: dialog.WithHelp(k.Leave, "leave them to their TTL guards and quit"), Msg: quitLeaveMsg{}})
	m.quitDialog = m.dialog
	return nil
}

func (m *Model) onQuitRevert() tea.Cmd {
	m.dialog = nil
	op := m.beginOp("reverting all faults before quitting")
	m.status.Message = "reverting all faults before quitting…"
	return tea.Batch(m.revertAllCmd(op, true), m.startTicking())
}

// plural formats n with the singular or plural noun: "1 fault", "2 faults".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
