package inject

import (
	"fmt"
	"strconv"
)

// Loss drops a share of a host's outgoing packets (netem loss); in the lab a
// Toxiproxy timeout toxic stalls that share of connections.
type Loss struct {
	Percent float64
	Peers   []string
	Dev     string
	Flap    *Flap // nil: steady until the TTL or a revert
}

func init() {
	register(20, KindInfo{Name: "loss", Help: "drop packets (tc netem; Toxiproxy timeout in the lab)", Params: []ParamInfo{
		{Name: "percent", Default: "30", Help: "share of packets dropped (0-100)"},
		{Name: "peers", Help: "only towards these hosts, selectors (tag:x, role:x) or IPs (comma-separated); default all"},
		{Name: "dev", Help: "network device (default: the default route's)"},
		flapParam,
	}}, func(p *params) (Fault, error) {
		f := &Loss{Percent: p.percent("percent", 30), Peers: p.list("peers"), Dev: p.str("dev", ""), Flap: p.flap()}
		if p.err == nil && f.Percent <= 0 {
			p.fail("percent", "0 drops nothing; give a share above 0")
		}
		return f, nil
	})
}

func (f *Loss) flapping() *Flap { return f.Flap }

// Kind returns "loss".
func (*Loss) Kind() string { return "loss" }

// TakesDown is true only for total loss.
func (f *Loss) TakesDown() bool { return f.Percent >= 100 }

// ShellPlan puts a netem loss qdisc under gameday's handle.
func (f *Loss) ShellPlan(t PlanTarget) (ShellPlan, error) {
	spec := []string{"netem", "loss", strconv.FormatFloat(f.Percent, 'f', -1, 64) + "%"}
	return tcPlan(t, f.Dev, f.Peers, netemDetect(t, len(f.Peers) > 0), spec)
}

// LabPlan adds a timeout toxic (timeout 0: data stops flowing) to that
// share of the proxy's connections.
func (f *Loss) LabPlan(t PlanTarget) (LabPlan, error) {
	if len(f.Peers) > 0 {
		return LabPlan{}, fmt.Errorf("loss: param peers: lab node %s has one proxy for all its traffic, so peers cannot be chosen", t.Host.Name)
	}
	return toxicPlan(t, LabToxic{Type: "timeout", Stream: "downstream", Toxicity: float32(f.Percent / 100),
		Attributes: map[string]int{"timeout": 0}})
}
