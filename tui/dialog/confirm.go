package dialog

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/tui/common"
)

// ArmMsg asks the root to arm exactly the plan Preview shows — the one the
// operator read and confirmed — with its Request's IKnow set when the
// operator acknowledged a majority blast radius.
type ArmMsg struct{ Preview inject.Preview }

// Confirm shows the exact plan per host and the blast-radius verdict before
// anything is armed. While the preview is in flight it says so; a majority
// blast radius needs an extra, separate acknowledgement before y works.
type Confirm struct {
	c       common.Common
	title   string
	reply   chan<- bool // set for a runbook's question: the answer goes here
	req     inject.Request
	preview *inject.Preview
	err     error
	iknow   bool
	offset  int
	warn    string
	armed   []string // faults already armed, so two facilitators do not arm blindly
	changed string   // why this plan replaces one the operator confirmed
}

// NewConfirm returns a Confirm waiting for the preview of req.
func NewConfirm(c common.Common, req inject.Request) *Confirm {
	return &Confirm{c: c, req: req, title: "Arm " + req.Kind + "? This is the exact plan"}
}

// NewRunbookConfirm asks the operator whether runbook may arm the fault
// previewed in p; the answer is sent on reply (buffered), yes or no.
func NewRunbookConfirm(c common.Common, runbook string, p inject.Preview, reply chan<- bool) *Confirm {
	return &Confirm{c: c, req: p.Request, preview: &p, reply: reply,
		title: "Runbook " + runbook + " wants to arm " + p.Request.Kind + ": the exact plan"}
}

// answer sends a runbook's answer and closes the dialog.
func (d *Confirm) answer(yes bool) tea.Cmd {
	reply := d.reply
	return func() tea.Msg {
		reply <- yes
		return CloseMsg{}
	}
}

// SetPreview gives the dialog the preview (or why there is none).
func (d *Confirm) SetPreview(p inject.Preview, err error) {
	if err != nil {
		d.err = err
		return
	}
	d.preview = &p
}

// SetChanged says the plan shown replaces shown, the one the operator
// confirmed, which planned again no longer held: nothing was armed, and
// this plan arms only once confirmed in turn. The dialog says what
// changed.
func (d *Confirm) SetChanged(shown inject.Preview) {
	d.changed = "the plan changed"
	if d.preview != nil {
		d.changed = planChange(shown, *d.preview)
	}
}

// SetArmed lists the faults already armed in the session (one line each),
// shown above the plan: with two facilitators, neither arms blindly over
// what the other has armed.
func (d *Confirm) SetArmed(lines []string) { d.armed = lines }

// Runbook tells whether the dialog is a runbook's question.
func (d *Confirm) Runbook() bool { return d.reply != nil }

// Request is the request being confirmed.
func (d *Confirm) Request() inject.Request { return d.req }

// Update implements Dialog.
func (d *Confirm) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	k := d.c.Keys
	d.warn = ""
	switch {
	case key.Matches(km, k.Back):
		if d.reply != nil {
			return d, d.answer(false)
		}
		return d, closeCmd
	case key.Matches(km, k.Up):
		d.offset = max(0, d.offset-1)
	case key.Matches(km, k.Down):
		d.offset++
	case key.Matches(km, k.PageUp):
		d.offset = max(0, d.offset-d.page())
	case key.Matches(km, k.PageDown):
		d.offset += d.page()
	case d.preview == nil:
		return d, nil
	case key.Matches(km, k.IKnow) && d.preview.Majority:
		d.iknow = !d.iknow
	case key.Matches(km, k.Confirm):
		if d.preview.Majority && !d.iknow {
			d.warn = "this takes down a majority: press i to acknowledge first"
			return d, nil
		}
		if d.reply != nil {
			return d, d.answer(true)
		}
		p := *d.preview
		p.Request.IKnow = d.preview.Majority && d.iknow
		return d, msgCmd(ArmMsg{Preview: p})
	}
	return d, nil
}

// page is how far pgup and pgdn scroll the plan.
func (d *Confirm) page() int { return max(1, d.c.Height-24) }

// Bindings implements Dialog.
func (d *Confirm) Bindings() []key.Binding {
	k := d.c.Keys
	bs := []key.Binding{}
	if d.preview != nil {
		bs = append(bs, k.Confirm)
		if d.preview.Majority {
			bs = append(bs, k.IKnow)
		}
	}
	return append(bs, withHelp(k.Up, "scroll"), withHelp(k.Back, "cancel, arm nothing"))
}

// stepLabel is the width of the step labels in the plan ("inject  ").
const stepLabel = 10

// planLines renders the preview's plan: every step of every host, in the
// order it runs, each script line whole — wrapped to width, never cut —
// so that what the operator reads is exactly what runs.
func planLines(s *common.Styles, p *inject.Preview, width int) []string {
	var out []string
	for _, h := range p.Hosts {
		via := map[string]string{"ssh": "over SSH", "lab": "through the lab"}[h.Executor]
		if via == "" {
			via = "through " + h.Executor
		}
		out = append(out, s.Title.Render("on "+h.Host+" ("+via+"):"))
		for _, sec := range []struct {
			label string
			steps []string
		}{
			{"detect", h.Detect}, {"guard", h.Guard}, {"inject", h.Inject}, {"verify", h.Verify},
			{"revert", h.Revert}, {"gone?", h.VerifyGone},
		} {
			for _, step := range sec.steps {
				for i, line := range strings.Split(step, "\n") {
					label := ""
					if i == 0 {
						label = sec.label
					}
					out = append(out, wrapStep(s, fmt.Sprintf("  %-*s", stepLabel-2, label), line, width)...)
				}
			}
		}
	}
	return out
}

// wrapStep wraps one script line to width behind its label column.
// Continuation lines are indented further and every line but the last
// ends in a dim "↵"; joining the pieces gives the line back exactly.
func wrapStep(s *common.Styles, label, line string, width int) []string {
	pieces := wrapText(line, max(10, width-stepLabel-3)) // 1 cell for "↵"
	out := make([]string, len(pieces))
	for i, piece := range pieces {
		prefix := strings.Repeat(" ", stepLabel+2)
		if i == 0 {
			prefix = label
		}
		if i < len(pieces)-1 {
			piece += s.Dim.Render("↵")
		}
		out[i] = prefix + piece
	}
	return out
}

// wrapText cuts s into pieces of at most width cells, after a space when
// one is near the end of the piece, else at the width; the pieces joined
// are s.
func wrapText(s string, width int) []string {
	var out []string
	for ansi.StringWidth(s) > width {
		r := []rune(s)
		cut := width
		for i := width - 1; i > width/2; i-- {
			if r[i] == ' ' {
				cut = i + 1
				break
			}
		}
		out = append(out, string(r[:cut]))
		s = string(r[cut:])
	}
	return append(out, s)
}

// View implements Dialog.
func (d *Confirm) View() string {
	s := d.c.Styles
	r := d.req
	width := dialogInner(d.c)
	head := []string{
		fmt.Sprintf("fault   %s", r.Kind),
		fmt.Sprintf("hosts   %s", strings.Join(r.Hosts, ", ")),
		fmt.Sprintf("params  %s", common.Params(r.Params)),
		fmt.Sprintf("ttl     %s (the host's guard reverts it then, even if gameday is gone)", r.TTL),
	}
	if d.preview != nil && d.preview.ID != "" {
		// The id names the chains and guards below; it is the id that arms.
		head[0] += "  (id " + d.preview.ID + ")"
	}
	if d.changed != "" {
		head = append([]string{s.Warning.Render("nothing armed: " + d.changed + " since you confirmed it; this is the plan now")}, head...)
	}
	if len(d.armed) > 0 {
		head = append(head, s.Warning.Render(fmt.Sprintf("already armed (%d):", len(d.armed))))
		for _, l := range d.armed {
			head = append(head, "  "+l)
		}
	}
	head = append(head, "")
	var plan []string
	switch {
	case d.err != nil:
		plan = append(plan, s.Error.Render("error: cannot preview: "+d.err.Error()), "nothing was armed")
	case d.preview == nil:
		plan = append(plan, s.Pending.Render("pending: computing the plan…"))
	default:
		plan = planLines(s, d.preview, width)
	}
	// The plan scrolls; the header and the verdict always show.
	room := max(3, d.c.Height-len(head)-12)
	d.offset = max(0, min(d.offset, len(plan)-room))
	if len(plan) > room {
		above, below := d.offset, len(plan)-d.offset-room
		plan = plan[d.offset : d.offset+room]
		if above > 0 {
			plan = append([]string{s.Dim.Render(fmt.Sprintf("… %d lines above (↑, pgup)", above+1))}, plan[1:]...)
		}
		if below > 0 {
			plan = append(plan[:len(plan)-1], s.Dim.Render(fmt.Sprintf("… %d more lines (↓, pgdn)", below+1)))
		}
	}
	body := append(head, plan...)
	if d.preview != nil {
		verdict := "blast radius: " + d.preview.BlastRadius
		if d.preview.Majority {
			box := "[ ]"
			if d.iknow {
				box = "[x]"
			}
			body = append(body, "", s.Warning.Render("MAJORITY — "+verdict),
				box+" I know this takes down a majority (press i)")
		} else {
			body = append(body, "", verdict)
		}
	}
	if d.warn != "" {
		body = append(body, s.Warning.Render(d.warn))
	}
	return boxAtLeast(d.c, width, d.title, body, d.Bindings())
}
