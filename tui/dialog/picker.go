package dialog

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/tui/common"
)

// PickedMsg reports the hosts chosen for Kind, in inventory order.
type PickedMsg struct {
	Kind  inject.KindInfo
	Hosts []string
}

// Picker is the host picker: a multi-select list of the inventory's hosts
// with a filter on name, tag and role.
type Picker struct {
	c         common.Common
	kind      inject.KindInfo
	hosts     []targets.Host
	chosen    map[string]bool
	shown     []int // indexes into hosts that pass the filter
	cursor    int
	offset    int
	filter    textinput.Model
	filtering bool
	warn      string
}

// NewPicker returns a picker over hosts for kind, nothing selected.
func NewPicker(c common.Common, kind inject.KindInfo, hosts []targets.Host) *Picker {
	f := newInput()
	f.Prompt = "/"
	f.Placeholder = "name, tag:x or role:x"
	f.Width = 30
	p := &Picker{c: c, kind: kind, hosts: hosts, chosen: map[string]bool{}, filter: f}
	p.refilter()
	return p
}

// matches tells whether h passes the filter q: a substring of its name,
// address, a tag or a role; "tag:x" and "role:x" look only there.
func matches(h targets.Host, q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	in := func(list []string, s string, exact bool) bool {
		for _, v := range list {
			v = strings.ToLower(v)
			if (exact && v == s) || (!exact && strings.Contains(v, s)) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(q, "tag:"):
		return in(h.Tags, strings.TrimPrefix(q, "tag:"), true)
	case strings.HasPrefix(q, "role:"):
		return in(h.Roles, strings.TrimPrefix(q, "role:"), true)
	}
	return strings.Contains(strings.ToLower(h.Name), q) || strings.Contains(h.Address, q) ||
		in(h.Tags, q, false) || in(h.Roles, q, false)
}

func (p *Picker) refilter() {
	p.shown = p.shown[:0]
	for i, h := range p.hosts {
		if matches(h, p.filter.Value()) {
			p.shown = append(p.shown, i)
		}
	}
	p.cursor = max(0, min(p.cursor, len(p.shown)-1))
}

// Update implements Dialog.
func (p *Picker) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	if p.filtering {
		switch km.Type {
		case tea.KeyEnter, tea.KeyEsc, tea.KeyUp, tea.KeyDown:
			p.filtering = false
			p.filter.Blur()
			if km.Type == tea.KeyUp || km.Type == tea.KeyDown {
				return p.Update(msg)
			}
			return p, nil
		}
		var cmd tea.Cmd
		p.filter, cmd = p.filter.Update(msg)
		p.refilter()
		return p, cmd
	}
	k := p.c.Keys
	p.warn = ""
	switch {
	case key.Matches(km, k.Back):
		return p, closeCmd
	case key.Matches(km, k.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(km, k.Down):
		p.cursor = max(0, min(len(p.shown)-1, p.cursor+1))
	case key.Matches(km, k.Toggle):
		if len(p.shown) > 0 {
			n := p.hosts[p.shown[p.cursor]].Name
			p.chosen[n] = !p.chosen[n]
		}
	case key.Matches(km, k.Filter):
		p.filtering = true
		return p, p.filter.Focus()
	case key.Matches(km, k.Select):
		var names []string
		for _, h := range p.hosts {
			if p.chosen[h.Name] {
				names = append(names, h.Name)
			}
		}
		if len(names) == 0 {
			p.warn = "select at least one host with space"
			return p, nil
		}
		return p, msgCmd(PickedMsg{Kind: p.kind, Hosts: names})
	}
	return p, nil
}

// Bindings implements Dialog.
func (p *Picker) Bindings() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Toggle, withHelp(k.Filter, "filter"), withHelp(k.Select, "next: set parameters"), withHelp(k.Back, "cancel")}
}

// View implements Dialog.
func (p *Picker) View() string {
	s := p.c.Styles
	n := 0
	for _, v := range p.chosen {
		if v {
			n++
		}
	}
	body := []string{fmt.Sprintf("%s — %s", p.kind.Name, p.kind.Help), ""}
	fl := p.filter.View()
	if !p.filtering && p.filter.Value() == "" {
		fl = s.Dim.Render("/ to filter by name, tag:x or role:x")
	}
	body = append(body, fl, "")
	visible := max(3, min(len(p.hosts), p.c.Height-16))
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+visible {
		p.offset = p.cursor - visible + 1
	}
	for i := p.offset; i < len(p.shown) && i < p.offset+visible; i++ {
		h := p.hosts[p.shown[i]]
		box := "[ ]"
		if p.chosen[h.Name] {
			box = "[x]"
		}
		cur := "  "
		if i == p.cursor {
			cur = "> "
		}
		line := fmt.Sprintf("%s%s %-16s %-22s %s", cur, box, h.Name, h.Address, labels(h))
		if i == p.cursor {
			line = s.Selected.Render(line)
		}
		body = append(body, line)
	}
	if len(p.shown) == 0 {
		body = append(body, s.Dim.Render("no host matches the filter"))
	}
	body = append(body, "", fmt.Sprintf("%d of %d hosts selected", n, len(p.hosts)))
	if p.warn != "" {
		body = append(body, s.Warning.Render(p.warn))
	}
	return box(p.c, "Arm "+p.kind.Name+": choose hosts", body, p.Bindings())
}

// labels formats a host's roles and tags: "role:master tag:eu".
func labels(h targets.Host) string {
	var parts []string
	for _, r := range h.Roles {
		parts = append(parts, "role:"+r)
	}
	for _, t := range h.Tags {
		parts = append(parts, "tag:"+t)
	}
	return strings.Join(parts, " ")
}
