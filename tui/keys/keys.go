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
	HandOver key.Binding

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
	Runbook   key.Binding

	// Replay
	StepBack  key.Binding
	StepOn    key.Binding
	LeapBack  key.Binding
	LeapOn    key.Binding
	PrevEvent key.Binding
	NextEvent key.Binding
	Start     key.Binding
	End       key.Binding
	Play      key.Binding
	Faster    key.Binding
	Slower    key.Binding

	// Dialogs
	Select  key.Binding
	Toggle  key.Binding
	Filter  key.Binding
	Back    key.Binding
	Confirm key.Binding
	IKnow   key.Binding
	Leave   key.Binding
}

// Permissions say what the person at a screen may do; the key map shows
// and fires only what they may.
type Permissions struct {
	// Arm allows arming, reverting, runbooks and the quit question's
	// answers about armed faults.
	Arm bool
	// Note allows writing notes.
	Note bool
	// HandOver allows handing the facilitator role to someone else on a
	// shared session.
	HandOver bool
	// Replay gives the keys that move a replay's time cursor; g and G
	// then go to the session's start and end instead of scrolling.
	Replay bool
}

// DefaultKeyMap returns the key map of the local screen; with readOnly
// every binding that arms or reverts a fault is disabled, so it neither
// fires nor shows in help.
func DefaultKeyMap(readOnly bool) *KeyMap {
	return New(Permissions{Arm: !readOnly, Note: true})
}

// New returns the key map of a screen whose person has p.
func New(p Permissions) *KeyMap {
	b := func(help, short string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, short))
	}
	k := &KeyMap{
		NextPane: b("tab", "next pane", "tab"),
		PrevPane: b("shift+tab", "prev pane", "shift+tab"),
		Help:     b("?", "help", "?"),
		Quit:     b("q", "quit", "q", "ctrl+c"),
		Note:     b("n", "note", "n"),
		Export:   b("e", "export", "e"),
		HandOver: b("H", "hand over", "H"),

		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+d"),
		Top:      b("g", "oldest", "home", "g"),
		Bottom:   b("G", "follow", "end", "G"),

		Arm:       b("a/enter", "arm", "a", "enter"),
		Revert:    b("r", "revert", "r"),
		RevertAll: b("R", "revert all", "R"),
		Runbook:   b("s", "start runbook", "s"),

		StepBack:  b("←", "1s back", "left"),
		StepOn:    b("→", "1s on", "right"),
		LeapBack:  b("shift+←", "10s back", "shift+left"),
		LeapOn:    b("shift+→", "10s on", "shift+right"),
		PrevEvent: b("[", "prev event", "["),
		NextEvent: b("]", "next event", "]"),
		Start:     b("g/home", "start", "g", "home"),
		End:       b("G/end", "end", "G", "end"),
		Play:      b("space/p", "play/pause", " ", "p"),
		Faster:    b("+", "faster", "+", "="),
		Slower:    b("-", "slower", "-", "_"),

		Select:  b("enter", "accept", "enter"),
		Toggle:  b("space", "toggle host", " "),
		Filter:  b("/", "filter", "/"),
		Back:    b("esc", "cancel", "esc"),
		Confirm: b("y", "yes, arm", "y"),
		IKnow:   b("i", "I know", "i"),
		Leave:   b("l", "leave armed", "l"),
	}
	if !p.Arm {
		for _, b := range k.actions() {
			b.SetEnabled(false)
		}
	}
	k.Note.SetEnabled(p.Note)
	k.HandOver.SetEnabled(p.Arm && p.HandOver)
	for _, b := range k.replay() {
		b.SetEnabled(p.Replay)
	}
	if p.Replay {
		k.Top.SetEnabled(false)
		k.Bottom.SetEnabled(false)
	}
	return k
}

// replay lists the bindings that move a replay's cursor.
func (k *KeyMap) replay() []*key.Binding {
	return []*key.Binding{&k.StepBack, &k.StepOn, &k.LeapBack, &k.LeapOn, &k.PrevEvent, &k.NextEvent,
		&k.Start, &k.End, &k.Play, &k.Faster, &k.Slower}
}

// long explains each binding in the help overlay and the docs, keyed by
// the binding's help key; the short help text is for footers.
var long = map[string]string{
	"tab":       "move to the next pane",
	"shift+tab": "move to the previous pane",
	"?":         "show or hide this help",
	"q":         "quit (also ctrl+c, from anywhere); with faults armed, asks: revert all first, or leave them to their TTL guards — ctrl+c again reverts all",
	"n":         "write a note onto the timeline",
	"e":         "export the markdown timeline now",
	"H":         "gameday serve: make someone watching a facilitator too (recorded on the timeline)",
	"↑/k":       "move up, or scroll the timeline back",
	"↓/j":       "move down, or scroll the timeline forward",
	"pgup":      "page up",
	"pgdn":      "page down",
	"g":         "jump to the oldest event",
	"G":         "jump to the newest event and follow",
	"a/enter":   "arm the selected fault: pick hosts, set parameters, confirm the plan",
	"r":         "revert the selected armed fault",
	"R":         "revert every armed fault (asks once)",
	"s":         "start the runbook given with --runbook; each of its injects asks first",
	"enter":     "accept (picker: go on to the parameters; form: review the plan)",
	"space":     "toggle the host under the cursor in the picker",
	"/":         "filter the picker's hosts by name, tag:x or role:x",
	"esc":       "cancel or close; nothing is armed",
	"y":         "yes: arm exactly the plan shown",
	"i":         "acknowledge that the fault takes down a majority of a service",
	"l":         "leave armed faults to their TTL guards",
	"←":         "replay: move the cursor 1 second back",
	"→":         "replay: move the cursor 1 second on",
	"shift+←":   "replay: move the cursor 10 seconds back",
	"shift+→":   "replay: move the cursor 10 seconds on",
	"[":         "replay: jump to the previous significant event (fault, breach, recovery, switch, note)",
	"]":         "replay: jump to the next significant event",
	"g/home":    "replay: go to the session's start",
	"G/end":     "replay: go to the session's end",
	"space/p":   "replay: play from the cursor, or pause",
	"+":         "replay: play faster (1×, 10×, 60×, 600×)",
	"-":         "replay: play slower",
}

// Describe returns the long description of b for help and docs.
func Describe(b key.Binding) string {
	if d, ok := long[b.Help().Key]; ok {
		return d
	}
	return b.Help().Desc
}

// Refused returns the disabled arming or reverting binding that the
// pressed key belongs to, so the screen can say why nothing happens; ok is
// false for any other key.
func (k *KeyMap) Refused(pressed string) (key.Binding, bool) {
	for _, b := range k.actions() {
		if b.Enabled() {
			continue
		}
		for _, s := range b.Keys() {
			if s == pressed {
				return *b, true
			}
		}
	}
	return key.Binding{}, false
}

// actions lists the bindings that change the system under test or decide
// what happens to armed faults: a spectator screen has none of them.
func (k *KeyMap) actions() []*key.Binding {
	return []*key.Binding{&k.Arm, &k.Revert, &k.RevertAll, &k.Runbook, &k.Confirm, &k.IKnow, &k.Leave}
}

// Dangerous tells whether b arms a fault; help marks such keys and they
// always lead to a confirmation.
func (k *KeyMap) Dangerous(b key.Binding) bool {
	h := b.Help().Key
	return h == k.Arm.Help().Key || h == k.Runbook.Help().Key || h == k.Confirm.Help().Key || h == k.IKnow.Help().Key
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
		{"Everywhere", []key.Binding{k.NextPane, k.PrevPane, k.Note, k.Export, k.HandOver, k.Help, k.Quit}},
		{"Lists and timeline", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
		{"Replay", []key.Binding{k.StepBack, k.StepOn, k.LeapBack, k.LeapOn, k.PrevEvent, k.NextEvent, k.Start, k.End, k.Play, k.Faster, k.Slower}},
		{"Faults", []key.Binding{k.Arm, k.Revert, k.RevertAll, k.Runbook}},
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
