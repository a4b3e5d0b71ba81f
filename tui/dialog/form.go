package dialog

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/tui/common"
)

// FormDoneMsg carries the request the form describes.
type FormDoneMsg struct{ Request inject.Request }

// Form asks for a kind's parameters, prefilled with their defaults, and the
// TTL. Validation of the values is inject's: Preview reports it.
type Form struct {
	c     common.Common
	kind  inject.KindInfo
	hosts []string
	fieldset
	names []string
	helps []string
	warn  string
}

// fieldset is a column of text inputs, one focused: ↑/↓ and tab move
// between them, the focused one takes the other keys.
type fieldset struct {
	fields []textinput.Model
	focus  int
}

// update is the Update of d, a dialog made of this fieldset: esc closes
// it, enter sends what submit returns, the other keys move the focus or
// go to the focused field.
func (f *fieldset) update(d Dialog, msg tea.Msg, submit func() tea.Cmd) (Dialog, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	move := 0
	switch km.Type {
	case tea.KeyEsc:
		return d, closeCmd
	case tea.KeyUp, tea.KeyShiftTab:
		move = -1
	case tea.KeyDown, tea.KeyTab:
		move = 1
	case tea.KeyEnter:
		return d, submit()
	}
	if move != 0 {
		f.fields[f.focus].Blur()
		f.focus = (f.focus + move + len(f.fields)) % len(f.fields)
		return d, f.fields[f.focus].Focus()
	}
	var cmd tea.Cmd
	f.fields[f.focus], cmd = f.fields[f.focus].Update(km)
	return d, cmd
}

// NewForm returns the form for kind on hosts.
func NewForm(c common.Common, kind inject.KindInfo, hosts []string) *Form {
	f := &Form{c: c, kind: kind, hosts: hosts}
	add := func(name, def, help string) {
		in := newInput()
		in.Prompt = ""
		in.SetValue(def)
		in.Width = 24
		f.fields = append(f.fields, in)
		f.names = append(f.names, name)
		f.helps = append(f.helps, help)
	}
	for _, p := range kind.Params {
		add(p.Name, p.Default, p.Help)
	}
	add("ttl", inject.DefaultTTL.String(), "the host's guard reverts the fault after this long")
	f.fields[0].Focus()
	return f
}

// Update implements Dialog.
func (f *Form) Update(msg tea.Msg) (Dialog, tea.Cmd) { return f.fieldset.update(f, msg, f.submit) }

func (f *Form) submit() tea.Cmd {
	req := inject.Request{Kind: f.kind.Name, Hosts: f.hosts, Params: map[string]string{}}
	for i, in := range f.fields {
		v := strings.TrimSpace(in.Value())
		if f.names[i] == "ttl" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				f.warn = fmt.Sprintf("ttl %q is not a positive duration such as 5m or 90s", v)
				return nil
			}
			req.TTL = d
			continue
		}
		if v != "" { // empty means "not set": the kind decides
			req.Params[f.names[i]] = v
		}
	}
	return msgCmd(FormDoneMsg{Request: req})
}

// Bindings implements Dialog.
func (f *Form) Bindings() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("down"), key.WithHelp("↑/↓", "field")),
		withHelp(f.c.Keys.Select, "next: review the plan"),
		withHelp(f.c.Keys.Back, "cancel"),
	}
}

// View implements Dialog.
func (f *Form) View() string {
	s := f.c.Styles
	body := []string{"hosts: " + strings.Join(f.hosts, ", "), ""}
	for i, in := range f.fields {
		cur := "  "
		if i == f.focus {
			cur = "> "
		}
		body = append(body, fmt.Sprintf("%s%-10s %s %s", cur, f.names[i], common.Fit(in.View(), 26), s.Dim.Render(f.helps[i])))
	}
	if f.warn != "" {
		body = append(body, "", s.Warning.Render(f.warn))
	}
	return box(f.c, "Arm "+f.kind.Name+": parameters", body, f.Bindings())
}
