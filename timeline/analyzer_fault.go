package timeline

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// faultTrack is the analyzer's running state of one fault.
type faultTrack struct {
	key                      string
	id, kind, state, errText string
	hosts                    []string
	params                   Params
	first, arming, armed     time.Time
	ended, failed, injected  time.Time
	services                 []string        // on its hosts; nil: membership unknown
	attributed               map[string]bool // nil: membership unknown
	guessed                  map[string]bool // without membership: service kinds guessed from host names
	excluded                 map[string]bool // attributed, but alarmed in the minute before
	detect                   map[string]time.Time
	also                     map[string]time.Time
	alarmed                  map[string]bool // credited probes alarmed since the start
	healedAt, recoveredAt    time.Time
	flap                     flapCount
	impact                   map[string]*ProbeImpact
	redis                    []*redisTrack
	kafka                    []*kafkaTrack
	cassandra                []*cassandraTrack
}

func isFaultKind(k Kind) bool {
	switch k {
	case FaultArming, FaultArmed, FaultReverted, FaultExpired, FaultFailed, FaultToggle:
		return true
	}
	return false
}

// fault takes one fault.* event.
func (a *Analyzer) fault(e Event) {
	fd := e.Fault()
	if fd == nil {
		fd = &FaultData{} // a fault event with odd data still marks a time
	}
	key := fd.FaultID
	if key == "" {
		key = fd.Kind + "@" + strings.Join(fd.Hosts, ",")
	}
	f := a.faultBy[key]
	if f == nil {
		f = &faultTrack{key: key, id: fd.FaultID, first: e.Time, state: "arming",
			detect: map[string]time.Time{}, also: map[string]time.Time{}, alarmed: map[string]bool{},
			excluded: map[string]bool{}, impact: map[string]*ProbeImpact{}}
		a.faultBy[key] = f
		a.faults = append(a.faults, f)
	}
	if f.kind == "" {
		f.kind = fd.Kind
	}
	if len(f.hosts) == 0 && len(fd.Hosts) > 0 {
		f.hosts = slices.Clone(fd.Hosts)
		f.attribute(a)
	}
	if len(f.params) == 0 && len(fd.Params) > 0 {
		f.params = fd.Params
	}
	if !fd.Injected.IsZero() && f.injected.IsZero() {
		f.injected = fd.Injected
	}
	switch e.Kind {
	case FaultArming:
		if f.arming.IsZero() {
			f.arming = e.Time
		}
	case FaultArmed:
		if f.armed.IsZero() {
			f.armed = e.Time
		}
		if f.state == "arming" {
			f.state = "armed"
		}
	case FaultReverted, FaultExpired:
		f.state = strings.TrimPrefix(string(e.Kind), "fault.")
		if f.ended.IsZero() {
			f.ended = e.Time
			f.end(a)
		}
	case FaultToggle:
		if tg := fd.Toggle; tg != nil {
			f.flap.take(tg)
		}
	case FaultFailed:
		f.errText = cmpOr(fd.Error, e.Summary)
		if f.ended.IsZero() {
			f.state = "failed"
		}
		if f.armed.IsZero() && f.failed.IsZero() {
			f.failed = e.Time
			f.forget() // never in place: nothing to detect or recover from
		}
	}
}

func cmpOr(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// start is when the fault's figures count from: when its first inject
// command began if the producer said, else when arming began (effects
// can start as soon as the inject commands run, before verify confirms).
func (f *faultTrack) start() time.Time {
	switch {
	case !f.injected.IsZero():
		return f.injected
	case !f.arming.IsZero():
		return f.arming
	case !f.armed.IsZero() && f.armed.Before(f.first):
		return f.armed
	}
	return f.first
}

// neverArmed tells a fault that failed to arm: it was rolled back.
func (f *faultTrack) neverArmed() bool { return !f.failed.IsZero() }

// attribute decides, once the fault's hosts are known, which probes may
// be credited with detecting it: those of the services on its hosts
// (every probe when the journal has no membership), minus those that were
// not ok or alarmed in the minute before it.
func (f *faultTrack) attribute(a *Analyzer) {
	if !a.members.known {
		f.guessed = guessKinds(f.hosts)
	} else {
		f.services = a.members.servicesOn(f.hosts)
		f.attributed = map[string]bool{}
		for name, svc := range a.members.serviceOf {
			if slices.Contains(f.services, svc) {
				f.attributed[name] = true
			}
		}
	}
	start := f.start()
	for _, name := range a.order {
		p := a.probes[name]
		if !f.attributes(p) {
			continue
		}
		if p.flapping(start) {
			f.excluded[name] = true
		}
	}
	f.trackServices(a)
}

// attributes reports whether probe p watches a service on the fault's
// hosts.
func (f *faultTrack) attributes(p *probeTrack) bool {
	switch {
	case f.attributed != nil:
		return f.attributed[p.name]
	case f.guessed != nil:
		kind, _, _ := strings.Cut(p.service, "/")
		return f.guessed[kind]
	}
	return true
}

// guessKinds guesses, for a journal without membership, the kinds of
// service on hosts from their names, as the lab names them ("redis-1",
// "kafka-2", "cassandra-3"); nil when no name says.
func guessKinds(hosts []string) map[string]bool {
	var kinds map[string]bool
	for _, h := range hosts {
		h = strings.ToLower(h)
		for _, k := range [][2]string{{"redis", "redis"}, {"sentinel", "redis"}, {"kafka", "kafka"},
			{"broker", "kafka"}, {"cassandra", "cassandra"}} {
			if strings.Contains(h, k[0]) {
				if kinds == nil {
					kinds = map[string]bool{}
				}
				kinds[k[1]] = true
			}
		}
	}
	return kinds
}

// forget drops what a fault that never armed had gathered.
func (f *faultTrack) forget() {
	clear(f.excluded)
	clear(f.detect)
	clear(f.also)
	clear(f.alarmed)
	clear(f.impact)
	f.healedAt = time.Time{}
	f.redis, f.kafka, f.cassandra = nil, nil, nil
}

// impactOpen reports whether a window at t still belongs to the fault's
// impact: from its start until it ended, or until recovery when a probe
// alarmed.
func (f *faultTrack) impactOpen(t time.Time) bool {
	switch {
	case f.neverArmed() || t.Before(f.start()):
		return false
	case f.ended.IsZero():
		return true
	case !f.recoveredAt.IsZero():
		return !t.After(f.recoveredAt)
	case len(f.alarmed) == 0:
		return !t.After(f.ended)
	}
	return true // ended, alarmed, not recovered yet
}

// onProbe updates the fault with one probe event.
func (f *faultTrack) onProbe(a *Analyzer, p *probeTrack, k Kind, t time.Time, r *Reading, alarm bool) {
	if f.neverArmed() {
		return
	}
	start := f.start()
	if t.Before(start) {
		if alarm && f.attributes(p) && p.flapping(start) {
			f.excluded[p.name] = true // a late report of an alarm before the fault
		}
		return
	}
	credited := f.attributes(p) && !f.excluded[p.name]
	inFault := f.ended.IsZero() || !t.After(f.ended)
	recovered := !f.recoveredAt.IsZero()
	if alarm {
		switch {
		case credited && inFault:
			if _, seen := f.detect[p.name]; !seen {
				f.detect[p.name] = t
			}
			f.alarmed[p.name] = true
			f.healedAt = time.Time{}
		case !f.attributes(p) && inFault:
			if _, seen := f.also[p.name]; !seen {
				f.also[p.name] = t
			}
		}
	}
	if credited && f.alarmed[p.name] && p.status == StatusOK && a.allOK(f.alarmed) {
		switch {
		case f.ended.IsZero() && f.healedAt.IsZero():
			f.healedAt = t
		case !f.ended.IsZero() && !recovered:
			f.recoveredAt = t
		}
	}
	if k == ProbeWindow && f.attributes(p) && f.impactOpen(t) {
		f.windowImpact(p, t, r)
	}
	for _, s := range f.redis {
		s.onProbe(a, f, p, t, alarm)
	}
	for _, s := range f.kafka {
		s.onWindow(f, p, k, t, r)
	}
	for _, s := range f.cassandra {
		s.onWindow(f, p, k, t, r)
	}
}

// end closes the fault when it was reverted or expired.
func (f *faultTrack) end(a *Analyzer) {
	if len(f.alarmed) > 0 && a.allOK(f.alarmed) {
		f.recoveredAt = f.ended
	}
}

// windowImpact folds one window of an attributed probe into the worst
// values.
func (f *faultTrack) windowImpact(p *probeTrack, t time.Time, r *Reading) {
	im := f.impact[p.name]
	if im == nil {
		im = &ProbeImpact{Probe: p.name, Unit: r.Unit}
		f.impact[p.name] = im
	}
	im.Windows++
	if r.Status == StatusError {
		im.Unmeasured++
		return // an error window's value means nothing
	}
	if r.P99 > 0 && (im.WorstP99 == nil || r.P99 > im.WorstP99.Value) {
		im.WorstP99 = &Measure{Value: r.P99, Probe: p.name, At: secondsOf(t.Sub(f.start()))}
	}
	if im.Max == nil || r.Value > im.Max.Value {
		im.Max = &Measure{Value: r.Value, Probe: p.name, At: secondsOf(t.Sub(f.start()))}
	}
	if im.Min == nil || r.Value < im.Min.Value {
		im.Min = &Measure{Value: r.Value, Probe: p.name, At: secondsOf(t.Sub(f.start()))}
	}
}

func (f *faultTrack) clone() *faultTrack {
	c := *f
	c.excluded, c.detect, c.also, c.alarmed = maps.Clone(f.excluded), maps.Clone(f.detect), maps.Clone(f.also), maps.Clone(f.alarmed)
	c.attributed, c.guessed = maps.Clone(f.attributed), maps.Clone(f.guessed)
	c.impact = make(map[string]*ProbeImpact, len(f.impact))
	for k, v := range f.impact {
		im := *v
		c.impact[k] = &im
	}
	c.redis = cloneAll(f.redis)
	c.kafka = cloneAll(f.kafka)
	c.cassandra = cloneAll(f.cassandra)
	return &c
}

// cloneAll copies a slice of pointers to plain structs, element by element.
func cloneAll[T any](s []*T) []*T {
	if s == nil {
		return nil
	}
	out := make([]*T, len(s))
	for i, p := range s {
		v := *p
		out[i] = &v
	}
	return out
}

// flapCount counts a flapping fault's verified toggles.
type flapCount struct{ cuts, heals, failed int }

func (c *flapCount) take(t *ToggleData) {
	switch t.State {
	case "cut":
		c.cuts++
	case "healed":
		c.heals++
	case "failed":
		c.failed++
	}
}

// report is the fault report's figure, nil for a fault that never flapped.
func (c flapCount) report() *FlapFigures {
	if c == (flapCount{}) {
		return nil
	}
	return &FlapFigures{Cuts: c.cuts, Heals: c.heals, Failed: c.failed}
}
