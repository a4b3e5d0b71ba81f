package inject

import (
	"fmt"
	"time"
)

const netemHint = "install kernel modules (linux-modules-extra) or use the lab's Toxiproxy latency"

// Latency delays a host's outgoing traffic (netem), optionally only towards
// chosen peers; in the lab it is a Toxiproxy latency toxic.
type Latency struct {
	Delay  time.Duration
	Jitter time.Duration
	Peers  []string
	Dev    string
	Flap   *Flap // nil: steady until the TTL or a revert
}

func init() {
	register(10, KindInfo{Name: "latency", Help: "delay traffic (tc netem; Toxiproxy latency in the lab)", Params: []ParamInfo{
		{Name: "delay", Default: "500ms", Help: "added one-way delay"},
		{Name: "jitter", Default: "0s", Help: "random variation of the delay"},
		{Name: "peers", Help: "only towards these hosts, selectors (tag:x, role:x) or IPs (comma-separated); default all"},
		{Name: "dev", Help: "network device (default: the default route's)"},
		flapParam,
	}}, func(p *params) (Fault, error) {
		f := &Latency{Delay: p.duration("delay", 500*time.Millisecond), Jitter: p.duration("jitter", 0), Peers: p.list("peers"), Dev: p.str("dev", ""), Flap: p.flap()}
		switch {
		case p.err != nil:
		case f.Delay <= 0 || f.Delay > time.Minute:
			p.fail("delay", "%s is out of range (1ms to 1m)", f.Delay)
		case f.Jitter < 0 || f.Jitter > f.Delay:
			p.fail("jitter", "%s is out of range (0 to the delay)", f.Jitter)
		}
		return f, nil
	})
}

func (f *Latency) flapping() *Flap { return f.Flap }

// Kind returns "latency".
func (*Latency) Kind() string { return "latency" }

// TakesDown is false: a slow host is still in service.
func (*Latency) TakesDown() bool { return false }

// ShellPlan puts a netem qdisc under gameday's handle.
func (f *Latency) ShellPlan(t PlanTarget) (ShellPlan, error) {
	spec := []string{"netem", "delay", msArg(f.Delay)}
	if f.Jitter > 0 {
		spec = append(spec, msArg(f.Jitter))
	}
	return tcPlan(t, f.Dev, f.Peers, netemDetect(t, len(f.Peers) > 0), spec)
}

// LabPlan adds a latency toxic to the node's proxy.
func (f *Latency) LabPlan(t PlanTarget) (LabPlan, error) {
	if len(f.Peers) > 0 {
		return LabPlan{}, fmt.Errorf("latency: param peers: lab node %s has one proxy for all its traffic, so peers cannot be chosen", t.Host.Name)
	}
	return toxicPlan(t, LabToxic{Type: "latency", Stream: "downstream", Toxicity: 1,
		Attributes: map[string]int{"latency": int(f.Delay.Milliseconds()), "jitter": int(f.Jitter.Milliseconds())}})
}

// netemDetect checks for sch_netem (and sch_prio when peers need a filter)
// before anything changes.
func netemDetect(t PlanTarget, peers bool) []Step {
	steps := []Step{qdiscProbe(t.ID, "netem", netemHint, "netem", "delay", "1ms")}
	if peers {
		steps = append(steps, qdiscProbe(t.ID, "prio", "install kernel modules (linux-modules-extra) or leave out param peers", "prio"))
	}
	return steps
}

// toxicPlan adds toxic to the node's proxy under a name the fault owns.
func toxicPlan(t PlanTarget, toxic LabToxic) (LabPlan, error) {
	if t.Host.Lab == nil || t.Host.Lab.Proxy == "" {
		return LabPlan{}, fmt.Errorf("lab node %s has no proxy to add a toxic to", t.Host.Name)
	}
	toxic.Name = "gameday-" + t.ID
	return LabPlan{
		Inject: []LabStep{{Op: LabToxicAdd, Node: t.Host.Name, Toxic: &toxic}},
		Revert: []LabStep{{Op: LabToxicRemove, Node: t.Host.Name, Toxic: &LabToxic{Name: toxic.Name}}},
	}, nil
}
