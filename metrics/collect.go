package metrics

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// The metrics. docs/metrics.md describes each; keep them in step.
var (
	probeLabels = []string{"probe", "target"}
	faultLabels = []string{"fault_id", "kind", "hosts"}

	sessionInfoDesc = prometheus.NewDesc("gameday_session_info",
		"The session: which command runs it (source), on which inventory, with which runbook. Always 1.",
		[]string{"source", "inventory", "runbook"}, nil)
	sessionStartDesc = prometheus.NewDesc("gameday_session_start_timestamp_seconds",
		"When the session started (its session.start event), in seconds since the Unix epoch.", nil, nil)
	peopleDesc = prometheus.NewDesc("gameday_session_people",
		"How many people are attached to the session, by role.", []string{"role"}, nil)
	personDesc = prometheus.NewDesc("gameday_session_person",
		"1 for each person attached to the session, with their role now.", []string{"person", "role"}, nil)
	eventsDesc = prometheus.NewDesc("gameday_events_total",
		"Events the session recorded, by kind (note, fault.armed, probe.breach, …).", []string{"kind"}, nil)

	probeValueDesc = prometheus.NewDesc("gameday_probe_value",
		"The probe's headline value in its latest window, in unit (p99 in ms, lag in messages, success in %, …).",
		append(slices.Clone(probeLabels), "unit"), nil)
	probeP50Desc = prometheus.NewDesc("gameday_probe_p50_seconds",
		"The median latency of the probe's latest window (latency probes only).", probeLabels, nil)
	probeP99Desc = prometheus.NewDesc("gameday_probe_p99_seconds",
		"The 99th percentile latency of the probe's latest window (latency probes only).", probeLabels, nil)
	probeStatusDesc = prometheus.NewDesc("gameday_probe_status",
		"1 for the probe's status now (ok, breach, error or pending), 0 for the others.",
		append(slices.Clone(probeLabels), "status"), nil)
	probeWindowsDesc = prometheus.NewDesc("gameday_probe_windows_total",
		"The probe's closed windows, by their status.", append(slices.Clone(probeLabels), "status"), nil)

	faultArmedDesc = prometheus.NewDesc("gameday_fault_armed",
		"1 while the fault is armed (verify saw it in place), 0 once it was reverted, expired or failed.", faultLabels, nil)
	faultInfoDesc = prometheus.NewDesc("gameday_fault_info",
		"The fault's parameters (redacted) and who armed it. Always 1.",
		append(slices.Clone(faultLabels), "params", "by"), nil)
	faultTTLDesc = prometheus.NewDesc("gameday_fault_ttl_seconds",
		"The time to live the fault's guard was given.", faultLabels, nil)
	faultRemainingDesc = prometheus.NewDesc("gameday_fault_ttl_remaining_seconds",
		"While the fault is armed: how long until its TTL guard reverts it.", faultLabels, nil)
	faultDetectDesc = prometheus.NewDesc("gameday_fault_time_to_detect_seconds",
		"From the fault's start to the first alarm of a probe of its services (the report's time to detect).", faultLabels, nil)
	faultSelfHealDesc = prometheus.NewDesc("gameday_fault_time_to_self_heal_seconds",
		"From the fault's start to every alarmed probe ok again while it was still in place.", faultLabels, nil)
	faultRecoverDesc = prometheus.NewDesc("gameday_fault_time_to_recover_seconds",
		"From the fault's end to every alarmed probe ok again.", faultLabels, nil)
	faultFailoverDesc = prometheus.NewDesc("gameday_fault_failover_seconds",
		"From the fault's start to the first Redis switch-master of a service on its hosts.",
		append(slices.Clone(faultLabels), "service"), nil)
)

var allDescs = []*prometheus.Desc{sessionInfoDesc, sessionStartDesc, peopleDesc, personDesc, eventsDesc,
	probeValueDesc, probeP50Desc, probeP99Desc, probeStatusDesc, probeWindowsDesc,
	faultArmedDesc, faultInfoDesc, faultTTLDesc, faultRemainingDesc, faultDetectDesc, faultSelfHealDesc,
	faultRecoverDesc, faultFailoverDesc}

// statuses are the values of a probe's status label, every one exported.
var statuses = []timeline.Status{timeline.StatusOK, timeline.StatusBreach, timeline.StatusError, timeline.StatusPending}

// collector is the Exporter as a prometheus.Collector.
type collector struct{ e *Exporter }

// Describe implements prometheus.Collector.
func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.e.snapshot()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if !s.start.IsZero() {
		gauge(sessionInfoDesc, 1, s.source, s.inventory, s.runbook)
		gauge(sessionStartDesc, unixSeconds(s.start))
	}
	perRole := map[session.Role]float64{}
	for _, p := range s.people {
		perRole[p.Role]++
		gauge(personDesc, 1, p.Name, string(p.Role))
	}
	for _, r := range session.Roles {
		gauge(peopleDesc, perRole[r], string(r))
	}
	for k, n := range s.events {
		counter(eventsDesc, n, string(k))
	}
	for _, p := range s.probes {
		for _, st := range statuses {
			gauge(probeStatusDesc, oneIf(p.status == st), p.probe, p.target, string(st))
		}
		for st, n := range p.windows {
			counter(probeWindowsDesc, n, p.probe, p.target, string(st))
		}
		r := p.r
		if r == nil {
			continue
		}
		if r.Status != timeline.StatusError {
			// An error window measured nothing: its value means nothing.
			gauge(probeValueDesc, r.Value, p.probe, p.target, r.Unit)
		}
		if r.P50 > 0 {
			gauge(probeP50Desc, r.P50/1000, p.probe, p.target)
		}
		if r.P99 > 0 {
			gauge(probeP99Desc, r.P99/1000, p.probe, p.target)
		}
	}
	for _, f := range s.faults {
		l := []string{f.id, f.kind, f.hosts}
		gauge(faultArmedDesc, oneIf(f.armed), l...)
		gauge(faultInfoDesc, 1, f.id, f.kind, f.hosts, f.params, f.by)
		if f.ttl > 0 {
			gauge(faultTTLDesc, f.ttl.Seconds(), l...)
		}
		if f.remaining != nil {
			gauge(faultRemainingDesc, f.remaining.Seconds(), l...)
		}
		rep := f.rep
		if rep == nil {
			continue
		}
		for d, v := range map[*prometheus.Desc]*timeline.Seconds{faultDetectDesc: rep.TimeToDetect,
			faultSelfHealDesc: rep.TimeToSelfHeal, faultRecoverDesc: rep.TimeToRecover} {
			if v != nil {
				gauge(d, float64(*v), l...)
			}
		}
		for _, r := range rep.Redis {
			if r.Failover != nil {
				gauge(faultFailoverDesc, float64(*r.Failover), f.id, f.kind, f.hosts, r.Service)
			}
		}
	}
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
