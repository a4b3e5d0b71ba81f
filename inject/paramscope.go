package inject

import (
	"slices"

	"github.com/gameday-dev/gameday/targets"
)

// sshOnly names, per kind, the parameters that only SSH hosts use: a lab
// node's plan ignores them (the lab knows its process and its one proxy)
// or refuses them.
var sshOnly = map[string][]string{
	"latency":   {"peers", "dev"},
	"loss":      {"peers", "dev"},
	"bandwidth": {"dev"},
	"kill":      {"unit", "pidfile", "pattern", "start"},
	"pause":     {"unit", "pidfile", "pattern"},
	"stop":      {"unit"},
}

// ParamsFor returns the parameters of k that apply to hosts: on lab nodes
// only, none of the SSH-only ones; on a mix of lab nodes and SSH hosts,
// all of them, the SSH-only ones saying so first in their help.
func (k KindInfo) ParamsFor(hosts []targets.Host) []ParamInfo {
	lab, ssh := 0, 0
	for _, h := range hosts {
		if h.Lab != nil {
			lab++
		} else {
			ssh++
		}
	}
	var out []ParamInfo
	for _, p := range k.Params {
		if !slices.Contains(sshOnly[k.Name], p.Name) {
			out = append(out, p)
			continue
		}
		switch {
		case ssh == 0 && lab > 0:
			// Nothing to offer: a lab node has no use for it.
		case lab > 0:
			p.Help = "SSH hosts only: " + p.Help
			out = append(out, p)
		default:
			out = append(out, p)
		}
	}
	return out
}
