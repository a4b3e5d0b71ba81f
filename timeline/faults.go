package timeline

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// faultLife collects the events of one fault.
type faultLife struct {
	rep                  FaultReport
	first, arming, armed time.Time
	ended, failed        time.Time
	hasParams            bool
}

func isFaultKind(k Kind) bool {
	switch k {
	case FaultArming, FaultArmed, FaultReverted, FaultExpired, FaultFailed:
		return true
	}
	return false
}

// analyzeFaults builds one FaultReport per fault, in the order the faults
// first appear. Events without a fault_id are grouped by kind and hosts.
func analyzeFaults(evs []Event, obs *observations, start, end time.Time) []FaultReport {
	var lives []*faultLife
	byID := map[string]*faultLife{}
	for _, e := range evs {
		if !isFaultKind(e.Kind) {
			continue
		}
		fe := e.Fault()
		if fe == nil {
			fe = &FaultData{} // a fault event with odd data still marks a time
		}
		id := fe.FaultID
		if id == "" {
			id = fe.Kind + "@" + strings.Join(fe.Hosts, ",")
		}
		l := byID[id]
		if l == nil {
			l = &faultLife{first: e.Time, rep: FaultReport{ID: fe.FaultID, State: "armed"}}
			byID[id] = l
			lives = append(lives, l)
		}
		l.absorb(e, fe)
	}
	latency := latencyProbes(obs)
	reps := make([]FaultReport, 0, len(lives))
	for _, l := range lives {
		reps = append(reps, l.finish(obs, start, end, latency))
	}
	return reps
}

func (l *faultLife) absorb(e Event, fe *FaultData) {
	if l.rep.Kind == "" {
		l.rep.Kind = fe.Kind
	}
	if len(l.rep.Hosts) == 0 && len(fe.Hosts) > 0 {
		l.rep.Hosts = append(l.rep.Hosts, fe.Hosts...)
	}
	if !l.hasParams && len(fe.Params) > 0 {
		l.rep.Params = params(fe.Params)
		l.hasParams = true
	}
	switch e.Kind {
	case FaultArming:
		if l.arming.IsZero() {
			l.arming = e.Time
		}
	case FaultArmed:
		if l.armed.IsZero() {
			l.armed = e.Time
		}
	case FaultReverted, FaultExpired:
		l.ended = e.Time
		l.rep.State = strings.TrimPrefix(string(e.Kind), "fault.")
	case FaultFailed:
		l.rep.Error = fe.Error
		if l.rep.Error == "" {
			l.rep.Error = e.Summary
		}
		if l.ended.IsZero() {
			l.rep.State = "failed"
		}
		if l.armed.IsZero() && l.failed.IsZero() {
			l.failed = e.Time
		}
	}
}

// params lists the fault parameters that are set, sorted by name.
func params(m map[string]string) []Param {
	ps := []Param{}
	for k, v := range m {
		if v == "" {
			continue // an unset optional parameter says nothing
		}
		ps = append(ps, Param{Name: k, Value: v})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

func (l *faultLife) finish(obs *observations, start, end time.Time, latency []string) FaultReport {
	rep := l.rep
	if rep.Params == nil {
		rep.Params = []Param{}
	}
	if rep.Hosts == nil {
		rep.Hosts = []string{}
	}
	rep.Breached = []string{}
	rep.Latency = make([]LatencyImpact, len(latency))
	for i, p := range latency {
		rep.Latency[i].Probe = p
	}
	// Effects can begin as soon as the inject commands run, before verify
	// confirms the fault (over SSH that gap can be seconds): detection and
	// impact count from the start of arming.
	from := l.arming
	if from.IsZero() || !l.armed.IsZero() && from.After(l.armed) {
		from = l.armed
	}
	if from.IsZero() {
		from = l.first
	}
	rep.ArmingAt = offset(from, start)
	if !l.armed.IsZero() {
		rep.ArmedAt = offset(l.armed, start)
	}
	off := end
	if !l.ended.IsZero() {
		off = l.ended
		rep.EndedAt = offset(off, start)
	}
	if l.armed.IsZero() && rep.State == "failed" {
		rep.EndedAt = offset(l.failed, start)
		return rep // never in place: nothing to detect or recover from
	}

	breached := map[string]bool{}
	for _, ob := range obs.list[obs.from(from):] {
		if ob.t.After(off) {
			break
		}
		if !ob.isAlarm() {
			continue
		}
		if rep.TimeToDetect == nil {
			rep.TimeToDetect = offset(ob.t, from)
			rep.DetectedBy = ob.name
		}
		breached[ob.name] = true
	}
	for p := range breached {
		rep.Breached = append(rep.Breached, p)
	}
	slices.Sort(rep.Breached)

	impactEnd := off
	if len(breached) > 0 && !l.ended.IsZero() {
		if at, ok := recoveredAt(obs, breached, off); ok {
			rep.TimeToRecover = offset(at, off)
			impactEnd = at
		} else {
			impactEnd = end
		}
	}
	impact(&rep, obs, from, impactEnd, start)
	return rep
}

func offset(t, from time.Time) *Seconds {
	s := secondsOf(t.Sub(from))
	return &s
}

// recoveredAt is the first moment at or after from when every probe in
// breached is ok, replaying statuses from the beginning.
func recoveredAt(obs *observations, breached map[string]bool, from time.Time) (time.Time, bool) {
	status := map[string]string{}
	bad := func() bool {
		for p := range breached {
			if status[p] != "ok" {
				return true
			}
		}
		return false
	}
	i := 0
	for ; i < len(obs.list) && !obs.list[i].t.After(from); i++ {
		if ob := &obs.list[i]; ob.status != "" {
			status[ob.name] = ob.status
		}
	}
	if !bad() {
		return from, true
	}
	for ; i < len(obs.list); i++ {
		ob := &obs.list[i]
		if ob.status == "" || !breached[ob.name] {
			continue
		}
		status[ob.name] = ob.status
		if !bad() {
			return ob.t, true
		}
	}
	return time.Time{}, false
}

// impact fills the worst values of the probe windows that overlap
// [on, until], and counts Sentinel master switches in it.
func impact(rep *FaultReport, obs *observations, on, until, start time.Time) {
	for _, ob := range obs.list[obs.from(on):] {
		if ob.t.After(until.Add(obs.maxWindow)) {
			break // no later window can reach back into the fault
		}
		if ob.kind == SentinelSwitch && !ob.t.After(until) {
			rep.MasterChanges++
			continue
		}
		r := ob.r
		if ob.kind != ProbeWindow || ob.t.After(until) && !ob.t.Add(-r.Window.Std()).Before(until) {
			continue
		}
		at := secondsOf(ob.t.Sub(start))
		m := Measure{Probe: ob.name, At: at}
		if li := latencyOf(rep, m.Probe); li != nil {
			switch {
			case r.Status == "error":
				li.Unmeasured++
			case r.P99 > 0 && (li.WorstP99 == nil || r.P99 > *li.WorstP99):
				li.WorstP99, li.At = ptr(r.P99), ptr(at)
			}
		}
		if r.P99 > 0 && (rep.WorstP99 == nil || r.P99 > rep.WorstP99.Value) {
			m.Value = r.P99
			rep.WorstP99 = ptr(m)
		}
		if r.Status == "error" {
			continue // an error window's value means nothing
		}
		switch {
		case strings.HasPrefix(r.Probe, "kafka.lag"):
			if rep.MaxLag == nil || r.Value > rep.MaxLag.Value {
				m.Value = r.Value
				rep.MaxLag = ptr(m)
			}
		case strings.Contains(r.Probe, "quorum"):
			if rep.MinQuorum == nil || r.Value < rep.MinQuorum.Value {
				m.Value = r.Value
				rep.MinQuorum = ptr(m)
			}
		}
	}
}

func latencyOf(rep *FaultReport, probe string) *LatencyImpact {
	for i := range rep.Latency {
		if rep.Latency[i].Probe == probe {
			return &rep.Latency[i]
		}
	}
	return nil
}

// latencyProbes names, sorted, the probes that report a p99 somewhere in
// the journal.
func latencyProbes(obs *observations) []string {
	seen := map[string]bool{}
	for _, ob := range obs.list {
		if ob.kind == ProbeWindow && ob.r.P99 > 0 {
			seen[ob.name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func ptr[T any](v T) *T { return &v }
