package inject

import (
	"fmt"
	"strconv"
)

// Bandwidth caps a host's outgoing rate with a token bucket (tc tbf); in the
// lab it is a Toxiproxy bandwidth toxic.
type Bandwidth struct {
	Rate int64 // bits per second
	Dev  string
}

func init() {
	register(40, KindInfo{Name: "bandwidth", Help: "cap the outgoing rate (tc tbf; Toxiproxy bandwidth in the lab)", Params: []ParamInfo{
		{Name: "rate", Default: "1mbit", Help: "rate limit (bit, kbit, mbit, gbit; bps, kbps, mbps for bytes)"},
		{Name: "dev", Help: "network device (default: the default route's)"},
	}}, func(p *params) (Fault, error) {
		f := &Bandwidth{Rate: p.rate("rate", 1000*1000), Dev: p.str("dev", "")}
		if p.err == nil && f.Rate < 8000 {
			p.fail("rate", "%d bit/s is below the 8kbit tbf can shape", f.Rate)
		}
		return f, nil
	})
}

// Kind returns "bandwidth".
func (*Bandwidth) Kind() string { return "bandwidth" }

// TakesDown is false: a throttled host is still in service.
func (*Bandwidth) TakesDown() bool { return false }

// ShellPlan puts a tbf qdisc under gameday's handle. The bucket holds at
// least 10 ms of traffic (and one full-size frame) so the rate is reachable.
func (f *Bandwidth) ShellPlan(t PlanTarget) (ShellPlan, error) {
	burst := max(f.Rate/8/100, 1600)
	spec := []string{"tbf", "rate", strconv.FormatInt(f.Rate, 10) + "bit", "burst", strconv.FormatInt(burst, 10), "latency", "400ms"}
	detect := []Step{qdiscProbe(t.ID, "tbf", "install kernel modules (linux-modules-extra) or use the lab's Toxiproxy bandwidth", "tbf", "rate", "1mbit", "burst", "32kbit", "latency", "400ms")}
	return tcPlan(t, f.Dev, nil, detect, spec)
}

// LabPlan adds a bandwidth toxic (KB/s) to the node's proxy.
func (f *Bandwidth) LabPlan(t PlanTarget) (LabPlan, error) {
	kbs := f.Rate / 8 / 1000
	if kbs < 1 {
		return LabPlan{}, fmt.Errorf("bandwidth: param rate: Toxiproxy shapes in whole KB/s, %d bit/s is less", f.Rate)
	}
	return toxicPlan(t, LabToxic{Type: "bandwidth", Stream: "downstream", Toxicity: 1, Attributes: map[string]int{"rate": int(kbs)}})
}
