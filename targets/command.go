package targets

// Command is a shell command whose exit status, and optionally a number
// in its output, is a probe (command.run): run on this machine, or on an
// inventory host over the same SSH layer as faults. It is read-only by
// convention: gameday runs it every interval and cannot know what it does.
type Command struct {
	Name string `yaml:"name" json:"name"`
	// Host is the inventory host it runs on; empty runs it locally.
	Host string `yaml:"host,omitempty" json:"host,omitempty"`
	// Command is the program and its arguments, each passed as one word
	// (quoted for the remote shell), never split or expanded.
	Command []string `yaml:"command" json:"command"`
	// Value is a regular expression (RE2) finding the probe's number in
	// the output: its first group, or the whole match.
	Value  string `yaml:"value,omitempty" json:"value,omitempty"`
	Probes Probes `yaml:"probes,omitempty" json:"probes,omitempty"`
}
