package dialog

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/tui/common"
)

// DiagnosisMsg carries a trainee's diagnosis: the hosts and the fault kind
// they believe are at fault, and free text.
type DiagnosisMsg struct {
	Hosts []string
	Kind  string
	Text  string
}

// MitigatedMsg carries a trainee's "mitigated", with the action taken.
type MitigatedMsg struct{ Action string }

// Declare asks a drill's trainee for a declaration: a diagnosis (hosts,
// kind, text) or "mitigated" (the action). The kinds it lists are every
// fault kind gameday has, never the drill's candidates; the session
// checks the names.
type Declare struct {
	c         common.Common
	mitigated bool
	kinds     []string
	hosts     []string
	fieldset
	names []string
	warn  string
}

// NewDiagnosis returns the diagnosis dialog; hosts are the inventory's
// host names and kinds every fault kind, both shown as help.
func NewDiagnosis(c common.Common, hosts, kinds []string) *Declare {
	d := &Declare{c: c, hosts: hosts, kinds: kinds}
	d.add("hosts", "host names, separated by commas")
	d.add("kind", "one of the kinds below")
	d.add("why", "what you saw (optional)")
	return d
}

// NewMitigated returns the "mitigated" dialog.
func NewMitigated(c common.Common) *Declare {
	d := &Declare{c: c, mitigated: true}
	d.add("action", "what you did (optional)")
	return d
}

func (d *Declare) add(name, placeholder string) {
	in := newInput()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = 300
	in.Width = max(20, min(d.c.Width-30, 60))
	if len(d.fields) == 0 {
		in.Focus()
	}
	d.fields = append(d.fields, in)
	d.names = append(d.names, name)
}

// Update implements Dialog.
func (d *Declare) Update(msg tea.Msg) (Dialog, tea.Cmd) { return d.fieldset.update(d, msg, d.submit) }

func (d *Declare) value(i int) string { return strings.TrimSpace(d.fields[i].Value()) }

func (d *Declare) submit() tea.Cmd {
	if d.mitigated {
		return msgCmd(MitigatedMsg{Action: d.value(0)})
	}
	var hosts []string
	for _, h := range strings.Split(d.value(0), ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 && d.value(1) == "" {
		d.warn = "name the host(s), the kind of fault, or both"
		return nil
	}
	return msgCmd(DiagnosisMsg{Hosts: hosts, Kind: d.value(1), Text: d.value(2)})
}

// Bindings implements Dialog.
func (d *Declare) Bindings() []key.Binding {
	var bs []key.Binding
	if len(d.fields) > 1 {
		bs = append(bs, key.NewBinding(key.WithKeys("down"), key.WithHelp("↑/↓", "field")))
	}
	return append(bs, withHelp(d.c.Keys.Select, "declare"), withHelp(d.c.Keys.Back, "cancel"))
}

// View implements Dialog.
func (d *Declare) View() string {
	s := d.c.Styles
	var body []string
	for i, in := range d.fields {
		cur := "  "
		if i == d.focus {
			cur = "> "
		}
		body = append(body, fmt.Sprintf("%s%-7s %s", cur, d.names[i], in.View()))
	}
	title := "Declare the incident mitigated"
	if !d.mitigated {
		title = "Declare a diagnosis"
		inner := max(20, dialogInner(d.c))
		body = append(body, "", s.Dim.Render(common.Fit("hosts: "+strings.Join(d.hosts, ", "), inner)))
		body = append(body, s.Dim.Render(common.Fit("kinds: "+strings.Join(d.kinds, ", "), inner)))
	}
	body = append(body, "", s.Dim.Render("Declarations are recorded on the timeline and scored."))
	if d.warn != "" {
		body = append(body, "", s.Warning.Render(d.warn))
	}
	return box(d.c, title, body, d.Bindings())
}
