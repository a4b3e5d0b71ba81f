package dialog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/tui/common"
)

// PickedMsg reports the hosts chosen for Kind, in inventory order; Kind's
// parameters are those that apply to these hosts (none of the SSH-only
// ones on lab nodes).
type PickedMsg struct {
	Kind  inject.KindInfo
	Hosts []string
}

// LiveRolesMsg brings the roles the cluster gives the hosts now (Redis
// master and replica, from the Sentinels) to an open picker.
type LiveRolesMsg struct{ Live roles.Live }

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
	// roles says where master and replica labels come from: "" (the
	// inventory; no Redis), or the live roles' state.
	roles string
}

// NewPicker returns a picker over hosts for kind, nothing selected.
func NewPicker(c common.Common, kind inject.KindInfo, hosts []targets.Host) *Picker {
	f := newInput()
	f.Prompt = "/"
	f.Placeholder = "name, tag:x or role:x"
	f.Width = 30
	// Its own copy: live roles relabel the picker's hosts, never the
	// inventory's.
	p := &Picker{c: c, kind: kind, hosts: slices.Clone(hosts), chosen: map[string]bool{}, filter: f}
	p.refilter()
	return p
}

// AwaitRoles hides the inventory's master and replica roles, which a
// failover makes stale, until a LiveRolesMsg brings the Sentinels' view.
// The root calls it when it asks for live roles.
func (p *Picker) AwaitRoles() {
	for i := range p.hosts {
		p.hosts[i].Roles = withoutDynamic(p.hosts[i].Roles)
	}
	p.roles = "roles: asking the Sentinels which node is master…"
	p.refilter()
}

func withoutDynamic(rs []string) []string {
	var out []string
	for _, r := range rs {
		if !roles.Dynamic("role:" + r) {
			out = append(out, r)
		}
	}
	return out
}

// setLive takes the live roles: each host's labels and the role filter
// follow them from now on; what was chosen stays chosen.
func (p *Picker) setLive(l roles.Live) {
	byName := map[string]targets.Host{}
	for _, h := range l.Inv.Hosts {
		byName[h.Name] = h
	}
	for i, h := range p.hosts {
		if lh, ok := byName[h.Name]; ok {
			p.hosts[i].Roles = slices.Clone(lh.Roles)
		}
	}
	var unknown []string
	for _, svc := range l.Inv.Services.Redis {
		if err := l.Unknown[svc.Name]; err != nil {
			unknown = append(unknown, err.Error())
		}
	}
	switch {
	case len(l.Inv.Services.Redis) == 0:
		p.roles = ""
	case len(unknown) == 0:
		p.roles = "roles: master and replica as the Sentinels say at " + l.At.Format("15:04:05")
	default:
		p.roles = "roles: no host is labelled master or replica: " + strings.Join(unknown, "; ")
	}
	p.refilter()
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
	p.offset = 0
	for i, h := range p.hosts {
		if matches(h, p.filter.Value()) {
			p.shown = append(p.shown, i)
		}
	}
	p.cursor = max(0, min(p.cursor, len(p.shown)-1))
}

// Update implements Dialog.
func (p *Picker) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	if lm, ok := msg.(LiveRolesMsg); ok {
		p.setLive(lm.Live)
		return p, nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	k := p.c.Keys
	p.warn = ""
	if p.filtering {
		switch {
		case km.Type == tea.KeyEnter:
			// Keep the filter; keys move and select again.
			p.filtering = false
			p.filter.Blur()
			return p, nil
		case km.Type == tea.KeyEsc:
			p.filtering = false
			p.filter.Blur()
			p.filter.SetValue("")
			p.refilter()
			return p, nil
		case km.Type == tea.KeyUp || km.Type == tea.KeyDown:
			p.move(km.Type == tea.KeyDown)
			return p, nil
		case key.Matches(km, k.Toggle):
			// A filter never holds a space: space toggles the host
			// under the cursor, so hosts can be picked while filtering.
			p.toggle()
			return p, nil
		}
		var cmd tea.Cmd
		p.filter, cmd = p.filter.Update(msg)
		p.refilter()
		return p, cmd
	}
	switch {
	case key.Matches(km, k.Back):
		return p, closeCmd
	case key.Matches(km, k.Up):
		p.move(false)
	case key.Matches(km, k.Down):
		p.move(true)
	case key.Matches(km, k.Toggle):
		p.toggle()
	case key.Matches(km, k.Filter):
		p.filtering = true
		return p, p.filter.Focus()
	case key.Matches(km, k.Select):
		var names []string
		var chosen []targets.Host
		for _, h := range p.hosts {
			if p.chosen[h.Name] {
				names = append(names, h.Name)
				chosen = append(chosen, h)
			}
		}
		if len(names) == 0 {
			p.warn = "select at least one host with space"
			return p, nil
		}
		// The form offers only the parameters that apply to these hosts.
		kind := p.kind
		kind.Params = kind.ParamsFor(chosen)
		return p, msgCmd(PickedMsg{Kind: kind, Hosts: names})
	}
	return p, nil
}

func (p *Picker) move(down bool) {
	if down {
		p.cursor = max(0, min(len(p.shown)-1, p.cursor+1))
	} else {
		p.cursor = max(0, p.cursor-1)
	}
}

func (p *Picker) toggle() {
	if len(p.shown) > 0 {
		n := p.hosts[p.shown[p.cursor]].Name
		p.chosen[n] = !p.chosen[n]
	}
}

// Bindings implements Dialog: while a filter is typed, enter and esc end
// the typing (keeping or clearing it) instead of going on or cancelling.
func (p *Picker) Bindings() []key.Binding {
	k := p.c.Keys
	if p.filtering {
		return []key.Binding{k.Toggle,
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep the filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear the filter"))}
	}
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
	// The mode is always said: typing a filter, or moving through hosts.
	var fl string
	switch {
	case p.filtering:
		fl = s.Selected.Render("FILTER") + " " + p.filter.View() + s.Dim.Render("  typing")
	case p.filter.Value() != "":
		fl = "filter /" + p.filter.Value() + s.Dim.Render("  (/ to change)")
	default:
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
	if p.roles != "" {
		body = append(body, s.Dim.Render(p.roles))
	}
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
