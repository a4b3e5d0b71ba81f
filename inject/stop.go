package inject

import "fmt"

// Stop stops a systemd service; revert starts it.
type Stop struct{ Unit string }

func init() {
	register(90, KindInfo{Name: "stop", Help: "stop a service (systemctl; the lab child in the lab)", Params: []ParamInfo{unitParam}},
		func(p *params) (Fault, error) { return &Stop{Unit: p.str("unit", "")}, nil })
}

// Kind returns "stop".
func (*Stop) Kind() string { return "stop" }

// TakesDown is true.
func (*Stop) TakesDown() bool { return true }

// ShellPlan runs systemctl stop, and start on revert.
func (f *Stop) ShellPlan(t PlanTarget) (ShellPlan, error) {
	if f.Unit == "" {
		return ShellPlan{}, fmt.Errorf("stop: param unit: required for host %s (the systemd unit to stop)", t.Host.Name)
	}
	u := Quote(f.Unit)
	return ShellPlan{
		Detect:     []Step{{Name: "unit active", Script: `systemctl is-active --quiet ` + u + ` || { echo ` + Quote("unit "+f.Unit+" is not active") + ` >&2; exit 3; }`, Fail: "%s"}},
		Inject:     []Step{{Name: "systemctl stop " + f.Unit, Script: "systemctl stop " + u}},
		Verify:     []Step{{Name: "unit inactive", Script: "! systemctl is-active --quiet " + u}},
		Revert:     []Step{{Name: "systemctl start " + f.Unit, Script: "systemctl start " + u}},
		VerifyGone: []Step{{Name: "unit active", Script: "systemctl is-active --quiet " + u}},
	}, nil
}

// LabPlan stops the lab child and starts it on revert.
func (f *Stop) LabPlan(t PlanTarget) (LabPlan, error) {
	if err := labNode(t); err != nil {
		return LabPlan{}, err
	}
	n := t.Host.Name
	return LabPlan{Inject: []LabStep{{Op: LabStop, Node: n}}, Revert: []LabStep{{Op: LabStart, Node: n}}}, nil
}
