package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/dialog"
	drillpane "github.com/gameday-dev/gameday/tui/panes/drill"
)

// Drill makes the screen a training drill's (see docs/drills.md): a
// trainee's, with the probes, the timeline, the briefing and their own
// declarations — no armed pane, no palette, nothing that names the hidden
// fault — or the trainer's, with everything plus the hidden plan and the
// live score board. What reaches the screen is the session's decision;
// this decides the layout and the keys.
type Drill struct {
	Name     string
	Briefing string
	// Trainee makes the trainee's screen.
	Trainee bool
	// Hosts and Kinds are the diagnosis dialog's help: the inventory's
	// hosts and every fault kind (never the drill's candidates).
	Hosts, Kinds []string
	// Diagnose and Mitigated declare for the trainee at this screen.
	Diagnose  func(hosts []string, kind, text string) error
	Mitigated func(action string) error
	// Confirm confirms a trainee's mitigation (trainer).
	Confirm func(trainee string) error
	// Trainees lists the trainees attached now (trainer's confirm dialog).
	Trainees func() []string
	// Board is the text below the briefing or plan: the trainer's plan and
	// score board at any time; for a trainee the reveal and the board once
	// the drill ended (an error before, and nothing is shown).
	Board func() (string, error)
	// Head is the text on top of the trainer's pane (the hidden plan).
	Head string
}

// Messages of the drill mode.
type (
	declaredMsg struct {
		what string
		err  error
	}
	boardMsg     struct{ text string }
	confirmAsk   struct{ trainee string }
	confirmedMsg struct {
		trainee string
		err     error
	}
)

// The drill mode's own keys.
var (
	keyDiagnose  = key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diagnose"))
	keyMitigated = key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mitigated"))
	keyConfirm   = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "confirm mitigation"))
)

// drillMode is the screen of a drill, trainer's or trainee's.
type drillMode struct {
	d    *Drill
	pane *drillpane.Model
}

func newDrillMode(d *Drill) *drillMode { return &drillMode{d: d} }

func (*drillMode) kind() common.Mode { return common.Live }

func (dm *drillMode) layout(m *Model) layout {
	if dm.pane == nil {
		if dm.d.Trainee {
			dm.pane = drillpane.New(m.c, "Drill "+dm.d.Name, "Briefing: "+dm.d.Briefing)
		} else {
			dm.pane = drillpane.New(m.c, "Drill "+dm.d.Name+" — hidden plan (trainer only)", dm.d.Head)
		}
	}
	if dm.d.Trainee {
		return layout{middle: []pane{dm.pane}, midRows: 10, first: m.probes}
	}
	return layout{middle: []pane{m.armed, dm.pane}, midRows: 12, first: dm.pane}
}

func (dm *drillMode) begin(m *Model) []tea.Cmd {
	cmds := []tea.Cmd{m.clockCmd(), dm.boardCmd()}
	if !dm.d.Trainee {
		cmds = append(cmds, m.listCmd())
	}
	return cmds
}

// boardCmd reads the board again (the session computes it from the
// drill's events).
func (dm *drillMode) boardCmd() tea.Cmd {
	board := dm.d.Board
	if board == nil {
		return nil
	}
	return func() tea.Msg {
		text, err := board()
		if err != nil {
			return nil // not shown to this screen yet
		}
		return boardMsg{text: text}
	}
}

// onFrame takes in a trainee's own declarations (the session sends no
// other's) and reads the board again after every drill event.
func (dm *drillMode) onFrame(m *Model, msg eventsMsg) tea.Cmd {
	drill := false
	if msg.reset {
		dm.pane.ClearMine()
	}
	for _, e := range msg.events {
		if !strings.HasPrefix(string(e.Kind), "drill.") {
			continue
		}
		drill = true
		if dm.d.Trainee && (e.Kind == drills.KindDiagnosis || e.Kind == drills.KindMitigated) {
			dm.pane.AddMine(e.Time.In(m.c.Now().Location()).Format("15:04:05") + " " + e.Summary)
		}
	}
	if drill || msg.reset {
		return dm.boardCmd()
	}
	return nil
}

func (dm *drillMode) onKey(m *Model, msg tea.KeyMsg) (tea.Cmd, bool) {
	switch {
	case dm.d.Trainee && key.Matches(msg, keyDiagnose):
		m.dialog = dialog.NewDiagnosis(m.dialogCommon(), dm.d.Hosts, dm.d.Kinds)
		return nil, true
	case dm.d.Trainee && key.Matches(msg, keyMitigated):
		m.dialog = dialog.NewMitigated(m.dialogCommon())
		return nil, true
	case !dm.d.Trainee && dm.d.Confirm != nil && key.Matches(msg, keyConfirm):
		dm.askConfirm(m)
		return nil, true
	}
	return nil, false
}

// askConfirm asks the trainer whose mitigation to confirm.
func (dm *drillMode) askConfirm(m *Model) {
	var names []string
	if dm.d.Trainees != nil {
		names = dm.d.Trainees()
	}
	opts := numbered(names, func(name string) tea.Msg { return confirmAsk{trainee: name} })
	if len(opts) == 0 {
		m.status.Message = "no trainee is attached"
		return
	}
	body := []string{"Confirm that a trainee's declared mitigation worked:", "the scenario ends and its fault is reverted."}
	m.dialog = dialog.NewChoice(m.dialogCommon(), "Confirm a mitigation", body, opts...)
}

func (dm *drillMode) onMsg(m *Model, msg tea.Msg) (tea.Cmd, bool) {
	d := dm.d
	switch msg := msg.(type) {
	case dialog.DiagnosisMsg:
		m.dialog = nil
		return func() tea.Msg {
			return declaredMsg{what: "diagnosis", err: d.Diagnose(msg.Hosts, msg.Kind, msg.Text)}
		}, true
	case dialog.MitigatedMsg:
		m.dialog = nil
		return func() tea.Msg { return declaredMsg{what: "mitigated", err: d.Mitigated(msg.Action)} }, true
	case confirmAsk:
		m.dialog = nil
		return func() tea.Msg { return confirmedMsg{trainee: msg.trainee, err: d.Confirm(msg.trainee)} }, true
	case declaredMsg:
		if msg.err != nil {
			m.status.Message = "error: " + msg.what + ": " + msg.err.Error()
		} else {
			m.status.Message = msg.what + " declared"
		}
		return nil, true
	case confirmedMsg:
		if msg.err != nil {
			m.status.Message = "error: confirm: " + msg.err.Error()
		} else {
			m.status.Message = "confirmed " + msg.trainee + "'s mitigation: the fault is being reverted"
		}
		return nil, true
	case boardMsg:
		dm.pane.SetBoard(msg.text)
		return nil, true
	}
	return nil, false
}

func (dm *drillMode) footer(m *Model) []key.Binding {
	k := m.c.Keys
	if dm.d.Trainee {
		return []key.Binding{keyDiagnose, keyMitigated, k.NextPane, k.Note, k.Help, k.Quit}
	}
	return append(m.focused().ShortHelp(), keyConfirm, k.NextPane, k.Note, k.Export, k.Help, k.Quit)
}

func (dm *drillMode) moving(m *Model) bool {
	return !dm.d.Trainee && (m.armed.Count() > 0 || len(m.pending) > 0)
}
