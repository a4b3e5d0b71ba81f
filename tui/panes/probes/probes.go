// Package probes is the Probes pane: one row per probe and target with its
// current value, a sparkline of the last minutes, the threshold and a
// status word. It only shows what probe.window events carry.
package probes

import (
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	gp "github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/sparkline"
)

// History is how many readings each row keeps for its sparkline: ten
// minutes at the default one reading per second. It bounds memory however
// long the session runs.
const History = 600

// FlashFor is how long a row stays highlighted after a Sentinel switch.
const FlashFor = 5 * time.Second

// FlashDoneMsg ends a row's flash; it only asks for a redraw.
type FlashDoneMsg struct{}

// row is one probe on one target.
type row struct {
	key        string
	reading    gp.Reading
	hist       *sparkline.Ring
	flashUntil time.Time
	switched   string // "old → new" while flashing
}

// Model is the Probes pane.
type Model struct {
	common.Pane
	rows    []*row
	byKey   map[string]*row
	cursor  int
	offset  int
	scratch []float64
}

// Known is a probe the pane shows as pending before its first reading.
type Known struct {
	Probe, Target string
	Thresholds    []string
}

// New returns the pane with a pending row for each probe known in advance.
func New(c common.Common, known []Known) *Model {
	m := &Model{Pane: common.Pane{Common: c}, byKey: map[string]*row{}}
	for _, in := range known {
		r := m.row(in.Probe, in.Target)
		r.reading.Status = gp.StatusPending
		r.reading.Threshold = strings.Join(in.Thresholds, ", ")
	}
	return m
}

func (m *Model) row(probe, target string) *row {
	k := probe + "\x00" + target
	if r, ok := m.byKey[k]; ok {
		return r
	}
	r := &row{key: k, hist: sparkline.NewRing(History)}
	r.reading.Probe, r.reading.Target = probe, target
	m.byKey[k] = r
	m.rows = append(m.rows, r)
	sort.SliceStable(m.rows, func(i, j int) bool { return m.rows[i].key < m.rows[j].key })
	return r
}

// Update takes probe windows and Sentinel switches from the timeline and
// moves the cursor when focused.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case common.EventsMsg:
		var cmd tea.Cmd
		for _, e := range msg.Events {
			if c := m.apply(e); c != nil {
				cmd = c
			}
		}
		return m, cmd
	case tea.KeyMsg:
		if !m.Focused {
			return m, nil
		}
		m.Move(msg, &m.cursor, len(m.rows))
	}
	return m, nil
}

func (m *Model) apply(e timeline.Event) tea.Cmd {
	switch e.Kind {
	case timeline.ProbeWindow:
		rp := e.Reading()
		if rp == nil || rp.Probe == "" {
			return nil
		}
		rd := *rp
		r := m.row(rd.Probe, rd.Target)
		if rd.Threshold == "" {
			rd.Threshold = r.reading.Threshold
		}
		r.reading = rd
		if rd.Status != gp.StatusError && rd.Status != gp.StatusPending {
			r.hist.Push(rd.Value)
		}
	case timeline.SentinelSwitch:
		until := e.Time.Add(FlashFor)
		flashed := false
		for _, r := range m.rows {
			if r.reading.Probe != "sentinel.master" || !switchMatches(e, r.reading.Target) {
				continue
			}
			r.flashUntil = until
			sw := e.Switch()
			if sw == nil {
				continue
			}
			r.switched = sw.Old + " → " + sw.New
			if sw.New != "" {
				r.reading.Master = sw.New
			}
			flashed = true
		}
		if flashed {
			wait := until.Sub(m.Now())
			if wait <= 0 {
				return nil
			}
			return tea.Tick(wait, func(time.Time) tea.Msg { return FlashDoneMsg{} })
		}
	}
	return nil
}

// switchMatches tells whether a sentinel.switch event concerns target; an
// event naming no service concerns every Sentinel row.
func switchMatches(e timeline.Event, target string) bool {
	if sw := e.Switch(); sw != nil && sw.Service != "" {
		s := sw.Service
		return s == target || strings.HasPrefix(target, s+" ") || strings.HasPrefix(s, target)
	}
	return true
}

// Counts returns how many rows are ok, breaching, erroring and pending.
func (m *Model) Counts() (ok, breach, errs, pending int) {
	for _, r := range m.rows {
		switch r.reading.Status {
		case gp.StatusOK:
			ok++
		case gp.StatusBreach:
			breach++
		case gp.StatusError:
			errs++
		default:
			pending++
		}
	}
	return
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.Keys.Up, m.Keys.Down} }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
