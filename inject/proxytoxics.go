package inject

import (
	"fmt"
	"math"
	"time"
)

// Slicer cuts the data a service sends into small pieces with a pause
// between them (a Toxiproxy slicer toxic, downstream): clients see many
// short reads, which tests their framing and partial-read handling. Only
// a proxy can do it: lab nodes and Toxiproxy hosts.
type Slicer struct {
	Size, Variation int64 // bytes
	Delay           time.Duration
}

// LimitData closes each connection once it has carried a number of bytes
// from the service (a Toxiproxy limit_data toxic, downstream): replies cut
// off mid-way, as by a middlebox that drops long connections. Only a proxy
// can do it.
type LimitData struct {
	Bytes int64
}

func init() {
	register(45, KindInfo{Name: "slicer", Help: "slice the service's replies into small pieces (Toxiproxy slicer; lab nodes and Toxiproxy hosts only)", Params: []ParamInfo{
		{Name: "size", Default: "64B", Help: "average piece size"},
		{Name: "variation", Default: "32B", Help: "how much a piece's size varies (less than size)"},
		{Name: "delay", Default: "1ms", Help: "pause between pieces (0 to 1s)"},
	}}, func(p *params) (Fault, error) {
		f := &Slicer{Size: p.bytes("size", 64), Variation: p.bytes("variation", 32), Delay: p.duration("delay", time.Millisecond)}
		switch {
		case p.err != nil:
		case f.Size < 1 || f.Size > math.MaxInt32:
			p.fail("size", "%d bytes is out of range (1 byte to 2 GiB)", f.Size)
		case f.Variation < 0 || f.Variation >= f.Size:
			p.fail("variation", "%d bytes is out of range (0 to less than size, %d)", f.Variation, f.Size)
		case f.Delay < 0 || f.Delay > time.Second:
			p.fail("delay", "%s is out of range (0 to 1s)", f.Delay)
		}
		return f, nil
	})
	register(46, KindInfo{Name: "limit-data", Help: "close each connection after it carried some bytes from the service (Toxiproxy limit_data; lab nodes and Toxiproxy hosts only)", Params: []ParamInfo{
		{Name: "bytes", Default: "1KiB", Help: "bytes a connection carries from the service before it is closed"},
	}}, func(p *params) (Fault, error) {
		f := &LimitData{Bytes: p.bytes("bytes", 1024)}
		if p.err == nil && (f.Bytes < 1 || f.Bytes > math.MaxInt32) {
			p.fail("bytes", "%d bytes is out of range (1 byte to 2 GiB)", f.Bytes)
		}
		return f, nil
	})
}

// Kind returns "slicer".
func (*Slicer) Kind() string { return "slicer" }

// TakesDown is false: a sliced service still answers.
func (*Slicer) TakesDown() bool { return false }

// ShellPlan refuses: an SSH host has no proxy to slice its traffic.
func (*Slicer) ShellPlan(t PlanTarget) (ShellPlan, error) { return ShellPlan{}, proxyOnly("slicer", t) }

// LabPlan adds a slicer toxic (sizes in bytes, delay in microseconds).
func (f *Slicer) LabPlan(t PlanTarget) (LabPlan, error) {
	return toxicPlan(t, LabToxic{Type: "slicer", Stream: "downstream", Toxicity: 1, Attributes: map[string]int{
		"average_size": int(f.Size), "size_variation": int(f.Variation), "delay": int(f.Delay.Microseconds())}})
}

// Kind returns "limit-data".
func (*LimitData) Kind() string { return "limit-data" }

// TakesDown is false: short requests still pass.
func (*LimitData) TakesDown() bool { return false }

// ShellPlan refuses: an SSH host has no proxy to count its bytes.
func (*LimitData) ShellPlan(t PlanTarget) (ShellPlan, error) {
	return ShellPlan{}, proxyOnly("limit-data", t)
}

// LabPlan adds a limit_data toxic.
func (f *LimitData) LabPlan(t PlanTarget) (LabPlan, error) {
	return toxicPlan(t, LabToxic{Type: "limit_data", Stream: "downstream", Toxicity: 1, Attributes: map[string]int{"bytes": int(f.Bytes)}})
}

// proxyOnly is the refusal of a proxy-only kind on an SSH host.
func proxyOnly(kind string, t PlanTarget) error {
	return fmt.Errorf("%s: host %s is reached over SSH, which has no proxy to put a %s toxic on: it runs only on lab nodes and hosts behind a Toxiproxy server (toxiproxy: in the inventory)", kind, t.Host.Name, kind)
}
