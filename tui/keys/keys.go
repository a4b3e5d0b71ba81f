// Package keys is the gameday TUI's key map. Bindings are data: the help
// overlay and docs/tui.md are generated from them, and read-only mode
// disables the arming ones here, in one place.
package keys

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding of the TUI.
type KeyMap struct {
	// Global
	NextPane key.Binding
	PrevPane key.Binding
	Help     key.Binding
	Quit     key.Binding
	Note     key.Binding
	Export   key.Binding

	// Lists
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding

	// Faults
	Arm       key.Binding
	Revert    key.Binding
	RevertAll key.Binding

	// Dialogs
	Select  key.Binding
	Toggle  key.Binding
	Filter  key.Binding
	Back    key.Binding
	Confirm key.Binding
	IKnow   key.Binding
	Leave   key.Binding
}

// DefaultKeyMap returns the key map; with readOnly every binding that arms
// or reverts a fault is disabled, so it neither fires nor shows in help.
func DefaultKeyMap(readOnly bool) *KeyMap {
	k := &KeyMap{
		NextPane: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevPane: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "show or hide this help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit (asks what to do with armed faults)")),
		Note:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "write a note onto the timeline")),
		Export:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export the markdown timeline now")),

		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "move up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "move down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "oldest")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "newest (follow)")),

		Arm:       key.NewBinding(key.WithKeys("a", "enter"), key.WithHelp("a/enter", "arm the selected fault: pick hosts, set parameters, confirm")),
		Revert:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "revert the selected armed fault")),
		RevertAll: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "revert every armed fault (asks once)")),

		Select:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "accept")),
		Toggle:  key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "toggle the host")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter hosts by name, tag or role")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel / close")),
		Confirm: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes: arm exactly this plan")),
		IKnow:   key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "I know it takes down a majority")),
		Leave:   key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "leave faults to their TTL guards")),
	}
	if readOnly {
		for _, b := range k.arming() {
			b.SetEnabled(false)
		}
	}
	return k
}

// arming lists the bindings that change the system under test.
func (k *KeyMap) arming() []*key.Binding {
	return []*key.Binding{&k.Arm, &k.Revert, &k.RevertAll, &k.Confirm, &k.IKnow}
}

// Dangerous tells whether b arms a fault; help marks such keys and they
// always lead to a confirmation.
func (k *KeyMap) Dangerous(b key.Binding) bool {
	h := b.Help().Key
	return h == k.Arm.Help().Key || h == k.Confirm.Help().Key || h == k.IKnow.Help().Key
}

// Section is a titled group of bindings, as the help overlay shows it.
type Section struct {
	Title    string
	Bindings []key.Binding
}

// Sections groups every binding for the help overlay and the docs. Disabled
// bindings are left out, so read-only help shows no arming keys.
func (k *KeyMap) Sections() []Section {
	all := []Section{
		{"Everywhere", []key.Binding{k.NextPane, k.PrevPane, k.Note, k.Export, k.Help, k.Quit}},
		{"Lists and timeline", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
		{"Faults", []key.Binding{k.Arm, k.Revert, k.RevertAll}},
		{"Dialogs", []key.Binding{k.Toggle, k.Filter, k.Select, k.Confirm, k.IKnow, k.Leave, k.Back}},
	}
	var out []Section
	for _, s := range all {
		var bs []key.Binding
		for _, b := range s.Bindings {
			if b.Enabled() {
				bs = append(bs, b)
			}
		}
		if len(bs) > 0 {
			out = append(out, Section{s.Title, bs})
		}
	}
	return out
}
