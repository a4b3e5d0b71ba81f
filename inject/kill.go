package inject

// Kill sends SIGKILL to a service's process; revert starts it again.
type Kill struct{ Sel Selector }

func init() {
	register(70, KindInfo{Name: "kill", Help: "SIGKILL a service's process; revert starts it", Params: append(append([]ParamInfo{}, findParams...), startParam)},
		func(p *params) (Fault, error) { return &Kill{Sel: parseSelector(p, true)}, nil })
}

// Kind returns "kill".
func (*Kill) Kind() string { return "kill" }

// TakesDown is true.
func (*Kill) TakesDown() bool { return true }

// ShellPlan kills the selected PIDs and, on revert, starts the service.
func (f *Kill) ShellPlan(t PlanTarget) (ShellPlan, error) {
	find, inject, err := f.Sel.signalPlan(t, "KILL")
	if err != nil {
		return ShellPlan{}, err
	}
	return ShellPlan{
		Detect: []Step{find},
		Inject: []Step{inject},
		Verify: []Step{{Name: "killed processes gone", Script: lines(statePrelude, `i=0`,
			`for p in $(cat `+stateFile(t.ID, "pids")+`); do`,
			// A SIGKILLed process may linger as a zombie for a moment.
			`  while `+procState+` && [ -n "$st" ] && [ "$st" != Z ]; do i=$((i+1)); [ "$i" -lt 50 ] || { echo "process $p still runs" >&2; exit 1; }; sleep 0.1; done`,
			`done`)}},
		Revert:     []Step{{Name: "start " + f.Sel.what(), Script: f.Sel.startScript(t.Host.Name)}},
		VerifyGone: []Step{f.Sel.runningStep(t.Host.Name)},
	}, nil
}

// LabPlan SIGKILLs the lab child and starts it again on revert.
func (f *Kill) LabPlan(t PlanTarget) (LabPlan, error) {
	if err := labNode(t); err != nil {
		return LabPlan{}, err
	}
	n := t.Host.Name
	return LabPlan{Inject: []LabStep{{Op: LabSignal, Node: n, Signal: "KILL"}}, Revert: []LabStep{{Op: LabStart, Node: n}}}, nil
}
