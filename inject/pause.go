package inject

// Pause sends SIGSTOP to a service's process; revert sends SIGCONT.
type Pause struct{ Sel Selector }

func init() {
	register(80, KindInfo{Name: "pause", Help: "SIGSTOP a service's process; revert sends SIGCONT", Params: findParams},
		func(p *params) (Fault, error) { return &Pause{Sel: parseSelector(p, false)}, nil })
}

// Kind returns "pause".
func (*Pause) Kind() string { return "pause" }

// TakesDown is true: a stopped process answers nobody.
func (*Pause) TakesDown() bool { return true }

// ShellPlan stops the selected PIDs; revert continues exactly those.
func (f *Pause) ShellPlan(t PlanTarget) (ShellPlan, error) {
	find, inject, err := f.Sel.signalPlan(t, "STOP")
	if err != nil {
		return ShellPlan{}, err
	}
	pids := stateFile(t.ID, "pids")
	return ShellPlan{
		Detect: []Step{find},
		Inject: []Step{inject},
		Verify: []Step{{Name: "processes stopped (T)", Script: lines(statePrelude, `i=0`,
			`for p in $(cat `+pids+`); do`,
			`  while `+procState+` && [ -n "$st" ] && [ "$st" != T ]; do i=$((i+1)); [ "$i" -lt 50 ] || { echo "process $p is $st, not stopped" >&2; exit 1; }; sleep 0.1; done`,
			`done`)}},
		Revert: []Step{{Name: "SIGCONT", Script: lines(statePrelude,
			`[ -f `+pids+` ] || exit 0`, `for p in $(cat `+pids+`); do kill -CONT "$p" 2>/dev/null; done`, `exit 0`)}},
		VerifyGone: []Step{{Name: "processes running", Script: lines(statePrelude,
			`[ -f `+pids+` ] || exit 0`, `i=0`,
			`for p in $(cat `+pids+`); do`,
			`  while `+procState+` && [ "$st" = T ]; do i=$((i+1)); [ "$i" -lt 50 ] || { echo "process $p is still stopped" >&2; exit 1; }; sleep 0.1; done`,
			`done`)}},
	}, nil
}

// LabPlan stops and continues the lab child.
func (f *Pause) LabPlan(t PlanTarget) (LabPlan, error) {
	if err := labNode(t); err != nil {
		return LabPlan{}, err
	}
	n := t.Host.Name
	return LabPlan{Inject: []LabStep{{Op: LabSignal, Node: n, Signal: "STOP"}}, Revert: []LabStep{{Op: LabSignal, Node: n, Signal: "CONT"}}}, nil
}
