package probes

import (
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// Membership describes every service of inv for the session.start event:
// the hosts it runs on and the probes NewSet builds for it, so that a
// journal alone can attribute a breach to the services a fault touched.
// Building the probes connects to nothing; if the inventory's probe
// configuration is invalid, the services are listed without probes.
func Membership(inv *targets.Inventory) []timeline.ServiceInfo {
	var out []timeline.ServiceInfo
	index := map[targets.ServiceRef]int{}
	add := func(kind, name string, hosts []string) *timeline.ServiceInfo {
		index[targets.ServiceRef{Kind: kind, Name: name}] = len(out)
		out = append(out, timeline.ServiceInfo{Kind: kind, Name: name, Hosts: append([]string{}, hosts...)})
		return &out[len(out)-1]
	}
	for _, s := range inv.Services.Redis {
		add("redis", s.Name, s.Hosts).Sentinels = len(s.Sentinels)
	}
	for _, s := range inv.Services.Kafka {
		add("kafka", s.Name, s.Hosts)
	}
	for _, s := range inv.Services.Cassandra {
		add("cassandra", s.Name, s.Hosts)
	}
	for _, s := range inv.Services.Prometheus {
		add("prometheus", s.Name, nil) // it watches from outside: on no host
	}
	for _, s := range inv.Services.HTTP {
		add("http", s.Name, s.Hosts)
	}
	for _, s := range inv.Services.Command {
		var hosts []string
		if s.Host != "" {
			hosts = []string{s.Host}
		}
		add("command", s.Name, hosts)
	}
	set, err := newSet(inv, nil, Options{Report: DefaultReport, ClientName: "gameday"})
	if err != nil {
		return out
	}
	for _, e := range set.entries {
		if i, ok := index[e.service]; ok {
			out[i].Probes = append(out[i].Probes, timeline.ProbeName(e.probe.Name(), e.probe.Target()))
		}
	}
	return out
}
