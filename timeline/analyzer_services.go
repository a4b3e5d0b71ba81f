package timeline

import (
	"iter"
	"strings"
	"time"
)

// The per-service figures of a fault: Redis failover, Kafka lag and leader
// moves, Cassandra QUORUM dip. A fault tracks each service on its hosts;
// when the journal has no membership, one track per kind stands for every
// service of that kind (service "").

// redisTrack follows a Redis deployment during a fault: when the
// Sentinels switched master, and when its clients succeeded again.
type redisTrack struct {
	service     string
	switchAt    time.Time
	newMaster   string
	switches    int
	clientAlarm time.Time // first client alarm since the fault began
	clientsOK   time.Time // clients ok again after it
}

// kafkaTrack follows a Kafka cluster's consumer lag and partition leaders.
type kafkaTrack struct {
	service     string
	baseline    float64 // highest lag in the minute before the fault
	baselineSet bool
	peak        float64
	peakAt      time.Time
	peakProbe   string
	drainedAt   time.Time
	moves       int
}

// cassandraTrack follows a Cassandra cluster's QUORUM success.
type cassandraTrack struct {
	service     string
	baseline    float64 // lowest success in the minute before (100 if none)
	baselineSet bool
	min         float64
	minAt       time.Time
	seen        bool
	dipStart    time.Time
	dipEnd      time.Time
}

// trackServices starts the per-service tracks of the services on the
// fault's hosts.
func (f *faultTrack) trackServices(a *Analyzer) {
	if !a.members.known {
		all := f.guessed == nil
		if all || f.guessed["redis"] {
			f.redis = []*redisTrack{{}}
		}
		if all || f.guessed["kafka"] {
			f.kafka = []*kafkaTrack{{}}
		}
		if all || f.guessed["cassandra"] {
			f.cassandra = []*cassandraTrack{{}}
		}
		return
	}
	for _, svc := range f.services {
		kind, name, _ := strings.Cut(svc, "/")
		switch kind {
		case "redis":
			f.redis = append(f.redis, &redisTrack{service: name})
		case "kafka":
			f.kafka = append(f.kafka, &kafkaTrack{service: name})
		case "cassandra":
			f.cassandra = append(f.cassandra, &cassandraTrack{service: name})
		}
	}
}

// watches reports whether probe p (of the given probe kind) watches the
// track's service.
func watches(p *probeTrack, probe, kind, service string) bool {
	return p.probe == probe && (service == "" || p.service == kind+"/"+service)
}

func (s *redisTrack) onProbe(a *Analyzer, f *faultTrack, p *probeTrack, t time.Time, alarm bool) {
	if !watches(p, "redis.latency", "redis", s.service) {
		return
	}
	if alarm && f.impactOpen(t) {
		if s.clientAlarm.IsZero() {
			s.clientAlarm = t
		}
		s.clientsOK = time.Time{}
		return
	}
	if s.clientAlarm.IsZero() || !s.clientsOK.IsZero() || p.status != StatusOK {
		return
	}
	for _, name := range a.order {
		if q := a.probes[name]; watches(q, "redis.latency", "redis", s.service) && q.status != StatusOK {
			return
		}
	}
	s.clientsOK = t
}

// impactOpen yields the faults whose impact is open at t: those a service
// event at t (a failover, a leader move) counts for.
func (a *Analyzer) impactOpen(t time.Time) iter.Seq[*faultTrack] {
	return func(yield func(*faultTrack) bool) {
		for _, f := range a.faults {
			if f.impactOpen(t) && !yield(f) {
				return
			}
		}
	}
}

// sentinelSwitch takes a +switch-master.
func (a *Analyzer) sentinelSwitch(e Event) {
	sw := e.Switch()
	if sw == nil {
		return
	}
	for f := range a.impactOpen(e.Time) {
		for _, s := range f.redis {
			if s.service != "" && sw.Service != "" && s.service != sw.Service {
				continue
			}
			s.switches++
			if s.switchAt.IsZero() {
				s.switchAt, s.newMaster = e.Time, sw.New
			}
		}
	}
}

// kafkaLeader takes a partition leader move.
func (a *Analyzer) kafkaLeader(e Event) {
	ld := DataAs[LeaderData](e)
	if ld == nil {
		return
	}
	for f := range a.impactOpen(e.Time) {
		for _, s := range f.kafka {
			if s.service == "" || ld.Service == "" || s.service == ld.Service {
				s.moves++
			}
		}
	}
}

// baselineOf scans p's windows in the minute before start with pick
// (max or min), returning def when there is none.
func baselineOf(p *probeTrack, start time.Time, def float64, better func(a, b float64) bool) float64 {
	v, set := def, false
	for i := p.points.from(start.Add(-PreFaultWindow)); i < p.points.len() && p.points.time(i).Before(start); i++ {
		if p.points.status[i] == pointError {
			continue
		}
		if x := p.points.value[i]; !set || better(x, v) {
			v, set = x, true
		}
	}
	return v
}

func (s *kafkaTrack) onWindow(f *faultTrack, p *probeTrack, k Kind, t time.Time, r *Reading) {
	if k != ProbeWindow || r.Status == StatusError || !watches(p, "kafka.lag", "kafka", s.service) {
		return
	}
	if !s.baselineSet {
		s.baseline, s.baselineSet = baselineOf(p, f.start(), 0, func(a, b float64) bool { return a > b }), true
	}
	if f.impactOpen(t) && (s.peakAt.IsZero() || r.Value > s.peak) {
		s.peak, s.peakAt, s.peakProbe, s.drainedAt = r.Value, t, p.name, time.Time{}
		return
	}
	if !s.peakAt.IsZero() && s.drainedAt.IsZero() && p.name == s.peakProbe && r.Value <= s.baseline {
		s.drainedAt = t
	}
}

func (s *cassandraTrack) onWindow(f *faultTrack, p *probeTrack, k Kind, t time.Time, r *Reading) {
	if k != ProbeWindow || !watches(p, "cassandra.quorum", "cassandra", s.service) {
		return
	}
	if !s.baselineSet {
		s.baseline, s.baselineSet = baselineOf(p, f.start(), 100, func(a, b float64) bool { return a < b }), true
	}
	open := f.impactOpen(t)
	if open && r.Status != StatusError && (!s.seen || r.Value < s.min) {
		s.min, s.minAt, s.seen = r.Value, t, true
	}
	below := r.Status == StatusError || r.Value < s.baseline
	switch {
	case below && open && s.dipStart.IsZero():
		s.dipStart = t
	case !below && !s.dipStart.IsZero() && s.dipEnd.IsZero():
		s.dipEnd = t
	}
}
