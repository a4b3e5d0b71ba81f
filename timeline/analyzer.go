package timeline

import (
	"slices"
	"strings"
	"time"
)

// Analyzer computes every figure gameday shows about a session — per fault
// time to detect, self-heal and recover, failover, lag, QUORUM dips, worst
// values, and the significant events — from events fed one at a time, in
// the order they were recorded. The live screen feeds it from the
// Recorder, replay and the report from a journal: the same code, so the
// same figures. It is not safe for concurrent use.
//
// Memory grows with the session only by what the report needs: one
// (time, value, p99) point per probe window and the significant rows.
// Clone is cheap enough to checkpoint a long journal every few thousand
// events (the probe series are shared, not copied).
type Analyzer struct {
	start   time.Time // the first event's time
	last    time.Time // the latest event time seen
	session *SessionData
	members membership
	verdict *VerdictData
	events  int
	kinds   map[Kind]int // events by kind

	probes map[string]*probeTrack
	order  []string // probe names in the order first seen

	faults  []*faultTrack
	faultBy map[string]*faultTrack

	rows rowLog
}

// PreFaultWindow is how far before a fault a probe's alarm makes it
// ineligible to be credited with detecting the fault: a probe already
// breaching or flapping then was not alarmed by the fault.
const PreFaultWindow = time.Minute

// NewAnalyzer returns an empty analyzer.
func NewAnalyzer() *Analyzer {
	return &Analyzer{
		kinds:   map[Kind]int{},
		probes:  map[string]*probeTrack{},
		faultBy: map[string]*faultTrack{},
	}
}

// Feed adds one event. Events are expected in recording order; their
// times may be slightly out of order (a probe stamps a window with its
// closing time), and every figure is computed from event times.
func (a *Analyzer) Feed(e Event) {
	if a.events == 0 {
		a.start = e.Time
	}
	if e.Time.After(a.last) {
		a.last = e.Time
	}
	a.events++
	a.kinds[e.Kind]++
	switch {
	case e.Kind == SessionStart:
		if sd := e.Session(); sd != nil && a.session == nil {
			a.session = sd
			a.members = newMembership(sd.Services)
		}
	case e.Kind == RunbookVerdict:
		if v := DataAs[VerdictData](e); v != nil && v.Verdict != "" {
			a.verdict = v
		}
	case isFaultKind(e.Kind):
		a.fault(e)
	case e.Kind == ProbeWindow || e.Kind == ProbeBreach || e.Kind == ProbeRecovered || e.Kind == ProbeError:
		a.probe(e)
	case e.Kind == SentinelSwitch:
		a.sentinelSwitch(e)
	case e.Kind == KafkaLeader:
		a.kafkaLeader(e)
	}
	a.rows.add(e, a)
}

// Start is the time of the session's first event (its session.start).
func (a *Analyzer) Start() time.Time { return a.start }

// Last is the latest event time seen.
func (a *Analyzer) Last() time.Time { return a.last }

// Events counts the events fed.
func (a *Analyzer) Events() int { return a.events }

// Clone returns an independent copy of a, to checkpoint the analysis of a
// long journal (replay) and go on feeding either copy. The probe series
// are append-only and shared between the copies.
func (a *Analyzer) Clone() *Analyzer {
	b := *a
	b.kinds = clonedMap(a.kinds)
	b.probes = make(map[string]*probeTrack, len(a.probes))
	for k, p := range a.probes {
		b.probes[k] = p.clone()
	}
	b.order = slices.Clip(a.order)
	b.faults = make([]*faultTrack, len(a.faults))
	b.faultBy = make(map[string]*faultTrack, len(a.faultBy))
	for i, f := range a.faults {
		c := f.clone()
		b.faults[i] = c
		b.faultBy[f.key] = c
	}
	b.rows = a.rows.clone()
	return &b
}

func clonedMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// membership is the inventory's service membership from session.start:
// which service each probe watches and which hosts each service runs on.
type membership struct {
	known     bool
	services  []ServiceInfo
	serviceOf map[string]string // probe name → "kind/name"
}

func newMembership(svcs []ServiceInfo) membership {
	m := membership{known: len(svcs) > 0, services: svcs, serviceOf: map[string]string{}}
	for _, s := range svcs {
		for _, p := range s.Probes {
			m.serviceOf[p] = s.Kind + "/" + s.Name
		}
	}
	return m
}

// servicesOn returns the services ("kind/name") that run on any of hosts.
func (m *membership) servicesOn(hosts []string) []string {
	var out []string
	for _, s := range m.services {
		for _, h := range s.Hosts {
			if slices.Contains(hosts, h) {
				out = append(out, s.Kind+"/"+s.Name)
				break
			}
		}
	}
	return out
}

// sentinels is how many Sentinels watch the Redis service name, or 0.
func (m *membership) sentinels(name string) int {
	for _, s := range m.services {
		if s.Kind == "redis" && s.Name == name {
			return s.Sentinels
		}
	}
	return 0
}

// probeService guesses the service of a probe the membership does not
// list (a journal written before membership was recorded): its family
// from the probe's name, the service from the first word of its target.
func probeService(probe, target string) string {
	kind, _, _ := strings.Cut(probe, ".")
	if kind == "sentinel" {
		kind = "redis"
	}
	name, _, _ := strings.Cut(target, " ")
	name, _, _ = strings.Cut(name, "/")
	return kind + "/" + name
}

// serviceOfProbe names the service a probe watches.
func (a *Analyzer) serviceOfProbe(r *Reading) string {
	if s, ok := a.members.serviceOf[r.Name()]; ok {
		return s
	}
	return probeService(r.Probe, r.Target)
}

// offsetOf returns t as Seconds since the session's start.
func (a *Analyzer) offsetOf(t time.Time) Seconds { return secondsOf(t.Sub(a.start)) }
