package timeline

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// FaultReport is one fault's life and its effect: the figures the live
// screen, replay and the report all show, computed by the Analyzer.
// Offsets named *At are seconds since the session's start; TimeTo* and
// the per-service figures count from the fault's start (StartAt), except
// TimeToRecover, which counts from its end.
type FaultReport struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	Hosts  []string `json:"hosts"`
	Params []Param  `json:"params"`
	// State is how the fault ended: "reverted", "expired", "failed", or
	// "arming"/"armed" while it is (or the journal ends with it) in place.
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Services are the inventory services on its hosts ("redis/cache");
	// null when the journal does not record the membership, and then
	// every probe counts for it.
	Services []string `json:"services"`
	// Attribution says how its services were told: "membership" (the
	// inventory's, recorded at the session's start), "host names" (a
	// journal without membership: lab-style host names), or "none" (every
	// probe counts).
	Attribution string `json:"attribution"`
	// StartAt is when its figures count from: when its first inject
	// command began, if recorded, else when arming began (the inject
	// commands, and so the effects, start right after). ArmingAt,
	// ArmedAt (verify saw it in place; nil if never) and EndedAt
	// (reverted, expired, or failed to arm) are as recorded.
	StartAt  Seconds  `json:"start_at_s"`
	ArmingAt *Seconds `json:"arming_at_s"`
	ArmedAt  *Seconds `json:"armed_at_s"`
	EndedAt  *Seconds `json:"ended_at_s"`
	// TimeToDetect is from the start to the first alarm (probe.breach or
	// probe.error) of a probe of its services while it was in place;
	// DetectedBy names that probe and Detections lists each credited
	// probe's first alarm.
	TimeToDetect *Seconds    `json:"time_to_detect_s"`
	DetectedBy   string      `json:"detected_by,omitempty"`
	Detections   []ProbeTime `json:"detections"`
	// NotCredited are probes of its services that were not ok, or
	// alarmed, in the minute before it: their alarms are not detection.
	NotCredited []string `json:"not_credited"`
	// AlsoSeen are probes of other services that alarmed while it was in
	// place: listed, never credited.
	AlsoSeen []ProbeTime `json:"also_seen"`
	// TimeToSelfHeal is from the start to the moment every alarmed probe
	// was ok again (and stayed so) while the fault was still in place.
	TimeToSelfHeal *Seconds `json:"time_to_self_heal_s"`
	// TimeToRecover is from its end to the first moment every probe that
	// alarmed was ok again: 0 when they already were, nil when none
	// alarmed or it did not recover by the end of the journal.
	TimeToRecover *Seconds `json:"time_to_recover_s"`
	// Impact is the worst of each probe of its services over its windows
	// from the start until the fault ended or, when a probe alarmed, until
	// recovery.
	Impact []ProbeImpact `json:"impact"`
	// Flap counts a flapping fault's verified toggles (fault.toggle
	// events, every host's); nil for a fault that did not flap.
	Flap      *FlapFigures       `json:"flap,omitempty"`
	Redis     []RedisFigures     `json:"redis,omitempty"`
	Kafka     []KafkaFigures     `json:"kafka,omitempty"`
	Cassandra []CassandraFigures `json:"cassandra,omitempty"`
}

// FlapFigures are a flapping fault's toggles, as its guards verified them.
type FlapFigures struct {
	Cuts   int `json:"cuts"`   // verified in place
	Heals  int `json:"heals"`  // verified gone
	Failed int `json:"failed"` // toggles that did not verify (each ended its host's flap)
}

// ProbeTime is a probe and a time since the fault's start.
type ProbeTime struct {
	Probe string  `json:"probe"`
	After Seconds `json:"after_s"`
}

// ProbeImpact is one probe's worst values during a fault. At is since the
// fault's start.
type ProbeImpact struct {
	Probe      string   `json:"probe"`
	Unit       string   `json:"unit,omitempty"`
	Windows    int      `json:"windows"`
	Unmeasured int      `json:"unmeasured_windows"` // windows that could not measure at all
	WorstP99   *Measure `json:"worst_p99_ms"`
	Max        *Measure `json:"max"`
	Min        *Measure `json:"min"`
}

// RedisFigures are a Redis deployment's figures during a fault.
type RedisFigures struct {
	Service string `json:"service,omitempty"`
	// Failover is from the fault's start to the first +switch-master.
	Failover  *Seconds `json:"failover_s"`
	NewMaster string   `json:"new_master,omitempty"`
	Switches  int      `json:"switches"`
	// ClientsOK is from the fault's start to the moment every client
	// probe (redis.latency) of the service was ok again after its first
	// alarm; nil if the clients never alarmed or never recovered.
	ClientsOK   *Seconds `json:"clients_ok_s"`
	ClientAlarm bool     `json:"client_alarm"`
}

// KafkaFigures are a Kafka cluster's figures during a fault.
type KafkaFigures struct {
	Service string `json:"service,omitempty"`
	// LeaderMoves counts kafka.leader events during the fault.
	LeaderMoves int `json:"leader_moves"`
	// LagBaseline is the highest lag in the minute before the fault;
	// LagPeak the highest during it; DrainTime from the peak until that
	// probe's lag was back at the baseline (nil: it did not rise, or has
	// not drained by the end of the journal).
	LagBaseline float64  `json:"lag_baseline"`
	LagPeak     *Measure `json:"lag_peak"`
	DrainTime   *Seconds `json:"drain_s"`
}

// CassandraFigures are a Cassandra cluster's figures during a fault.
type CassandraFigures struct {
	Service string `json:"service,omitempty"`
	// Baseline is the lowest QUORUM success (%) in the minute before the
	// fault (100 if unknown); MinSuccess the lowest during it; Dip the time
	// from the first window below the baseline to the first back at it
	// (nil: no dip, or not back by the end of the journal).
	Baseline   float64  `json:"baseline_pct"`
	MinSuccess *Measure `json:"min_success_pct"`
	DipStart   *Seconds `json:"dip_start_s"`
	Dip        *Seconds `json:"dip_s"`
}

// Faults returns the figures of every fault so far, in the order they
// first appeared.
func (a *Analyzer) Faults() []FaultReport {
	out := make([]FaultReport, 0, len(a.faults))
	for _, f := range a.faults {
		out = append(out, a.figures(f))
	}
	return out
}

func (a *Analyzer) figures(f *faultTrack) FaultReport {
	start := f.start()
	since := func(t time.Time) *Seconds {
		if t.IsZero() {
			return nil
		}
		s := secondsOf(max(0, t.Sub(start)))
		return &s
	}
	at := func(t time.Time) *Seconds {
		if t.IsZero() {
			return nil
		}
		s := a.offsetOf(t)
		return &s
	}
	rep := FaultReport{ID: f.id, Kind: f.kind, Hosts: orEmpty(slices.Clone(f.hosts)), Params: params(f.params),
		State: f.state, Error: f.errText, Services: f.services, Attribution: "none", StartAt: a.offsetOf(start),
		ArmingAt: at(f.arming), ArmedAt: at(f.armed), EndedAt: at(f.ended),
		Detections: []ProbeTime{}, NotCredited: orEmpty(slices.Sorted(maps.Keys(f.excluded))), AlsoSeen: probeTimes(f.also, start),
		Impact: []ProbeImpact{}, Flap: f.flap.report()}
	switch {
	case f.attributed != nil:
		rep.Attribution = "membership"
	case f.guessed != nil:
		rep.Attribution = "host names"
		rep.Services = []string{}
		for _, k := range slices.Sorted(maps.Keys(f.guessed)) {
			rep.Services = append(rep.Services, k+"/*")
		}
	}
	if f.neverArmed() {
		rep.EndedAt = at(f.failed)
	}
	rep.Detections = probeTimes(f.detect, start)
	if len(rep.Detections) > 0 {
		first := rep.Detections[0]
		rep.TimeToDetect, rep.DetectedBy = &first.After, first.Probe
	}
	if !f.ended.IsZero() {
		rep.TimeToSelfHeal = since(f.healedAt)
		if !f.recoveredAt.IsZero() {
			s := secondsOf(f.recoveredAt.Sub(f.ended))
			rep.TimeToRecover = &s
		}
	} else {
		rep.TimeToSelfHeal = since(f.healedAt) // so far: it may still break again
	}
	for _, name := range slices.Sorted(maps.Keys(f.impact)) {
		rep.Impact = append(rep.Impact, *f.impact[name])
	}
	for _, s := range f.redis {
		rf := RedisFigures{Service: s.service, Failover: since(s.switchAt), NewMaster: s.newMaster, Switches: s.switches,
			ClientAlarm: !s.clientAlarm.IsZero()}
		if !s.clientAlarm.IsZero() {
			rf.ClientsOK = since(s.clientsOK)
		}
		rep.Redis = append(rep.Redis, rf)
	}
	for _, s := range f.kafka {
		kf := KafkaFigures{Service: s.service, LeaderMoves: s.moves, LagBaseline: s.baseline}
		if !s.peakAt.IsZero() {
			kf.LagPeak = &Measure{Value: s.peak, Probe: s.peakProbe, At: *since(s.peakAt)}
			if s.peak > s.baseline && !s.drainedAt.IsZero() {
				d := secondsOf(s.drainedAt.Sub(s.peakAt))
				kf.DrainTime = &d
			}
		}
		rep.Kafka = append(rep.Kafka, kf)
	}
	for _, s := range f.cassandra {
		cf := CassandraFigures{Service: s.service, Baseline: s.baseline, DipStart: since(s.dipStart)}
		if s.seen {
			cf.MinSuccess = &Measure{Value: s.min, At: *since(s.minAt)}
		}
		if !s.dipStart.IsZero() && !s.dipEnd.IsZero() {
			d := secondsOf(s.dipEnd.Sub(s.dipStart))
			cf.Dip = &d
		}
		rep.Cassandra = append(rep.Cassandra, cf)
	}
	return rep
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// params lists the fault parameters that are set, sorted by name.
func params(m Params) []Param {
	ps := []Param{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != "" { // an unset optional parameter says nothing
			ps = append(ps, Param{Name: k, Value: m[k]})
		}
	}
	return ps
}

// probeTimes lists probes by their time since start, earliest first.
func probeTimes(m map[string]time.Time, start time.Time) []ProbeTime {
	out := make([]ProbeTime, 0, len(m))
	for name, t := range m {
		out = append(out, ProbeTime{Probe: name, After: secondsOf(max(0, t.Sub(start)))})
	}
	slices.SortFunc(out, func(x, y ProbeTime) int {
		if c := cmp.Compare(x.After, y.After); c != 0 {
			return c
		}
		return strings.Compare(x.Probe, y.Probe)
	})
	return out
}

// Took renders a duration figure the same way on every screen and in every
// report: milliseconds below a second, else seconds to the millisecond.
func Took(s Seconds) string { return s.Duration().String() }

// Line is the fault in one line, as the live screen and the report's
// summary show it: "process-kill f-2 on redis-1: detected 155ms
// (redis.latency cache) · failover 2.9s · clients ok 3.4s · self-healed
// 3.4s · recovered 0s after revert".
func (f *FaultReport) Line() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(f.Kind + " " + f.ID))
	if len(f.Hosts) > 0 {
		b.WriteString(" on " + strings.Join(f.Hosts, ","))
	}
	b.WriteString(": ")
	b.WriteString(strings.Join(f.Figures(), " · "))
	return b.String()
}

// Figures lists the fault's headline figures as short phrases.
func (f *FaultReport) Figures() []string {
	var out []string
	switch {
	case f.State == "failed" && f.ArmedAt == nil:
		return []string{"failed to arm: " + f.Error}
	case f.TimeToDetect != nil:
		out = append(out, fmt.Sprintf("detected %s (%s)", Took(*f.TimeToDetect), f.DetectedBy))
	case f.EndedAt != nil:
		out = append(out, "not detected")
	default:
		out = append(out, "not detected yet")
	}
	for _, r := range f.Redis {
		if r.Failover != nil {
			out = append(out, "failover "+Took(*r.Failover))
		}
		if r.ClientsOK != nil {
			out = append(out, "clients ok "+Took(*r.ClientsOK))
		}
	}
	for _, k := range f.Kafka {
		if k.LagPeak != nil && k.LagPeak.Value > k.LagBaseline {
			s := fmt.Sprintf("lag peak %s", number(k.LagPeak.Value))
			if k.DrainTime != nil {
				s += ", drained in " + Took(*k.DrainTime)
			}
			out = append(out, s)
		}
		if k.LeaderMoves == 1 {
			out = append(out, "1 leader move")
		} else if k.LeaderMoves > 1 {
			out = append(out, fmt.Sprintf("%d leader moves", k.LeaderMoves))
		}
	}
	for _, c := range f.Cassandra {
		if c.MinSuccess != nil && c.MinSuccess.Value < c.Baseline {
			s := fmt.Sprintf("QUORUM down to %s%%", number(c.MinSuccess.Value))
			if c.Dip != nil {
				s += " for " + Took(*c.Dip)
			}
			out = append(out, s)
		}
	}
	if f.TimeToSelfHeal != nil {
		out = append(out, "self-healed "+Took(*f.TimeToSelfHeal))
	}
	switch {
	case f.TimeToRecover != nil:
		out = append(out, fmt.Sprintf("recovered %s after %s", Took(*f.TimeToRecover), endWord(f.State)))
	case f.EndedAt != nil && f.TimeToDetect != nil:
		out = append(out, "not recovered")
	case f.EndedAt == nil:
		out = append(out, "in place")
	}
	return out
}

func endWord(state string) string {
	if state == "expired" {
		return "expiry"
	}
	return "revert"
}

// number renders a value with at most one decimal.
func number(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}
