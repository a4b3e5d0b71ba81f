package targets

import (
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// ProbeNames are the probes each service kind offers, as keys of its
// probes: block.
var ProbeNames = map[string][]string{
	"kafka":     {"latency", "lag"},
	"cassandra": {"quorum", "integrity"},
	"redis":     {"latency", "master", "integrity"},
	"http":      {"latency"},
	"command":   {"run"},
}

// probeMetrics are the threshold metrics each probe measures ("latency"
// stands for p50, p90, p99 and max), keyed KIND.ENTRY: a threshold on
// anything else would never be judged, so it is refused.
var probeMetrics = map[string][]string{
	"redis.latency":       {"latency", "success", "errors", "rate"},
	"redis.master":        {"master", "agree", "sentinels"},
	"redis.integrity":     {"lost", "latency", "success", "errors", "rate"},
	"kafka.latency":       {"latency", "success", "errors", "rate"},
	"kafka.lag":           {"lag"},
	"cassandra.quorum":    {"latency", "success", "errors", "rate"},
	"cassandra.integrity": {"lost", "latency", "success", "errors", "rate"},
	"http.latency":        {"latency", "success", "errors", "rate"},
	"command.run":         {"value", "errors", "success"},
	"prometheus":          {"value"},
}

// polled are the probes that ask every interval; the others send at a
// constant rate. A rate given to a polled probe, or an interval to a
// rate-paced one, would do nothing, so either is refused.
var polled = map[string]bool{"redis.master": true, "kafka.lag": true, "command.run": true, "prometheus": true}

var (
	kafkaVersionRe = regexp.MustCompile(`^\d+\.\d+\.\d+(\.\d+)?$`)
	kafkaTopicRe   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
	cqlIdentRe     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,47}$`)
)

// service is what every service kind shares, for the common checks.
type service struct {
	kind, path, name string
	hosts            []string
	probes           Probes
}

func (v *validator) services() {
	var all []service
	for i, s := range v.inv.Services.Kafka {
		p := yamldoc.Index("services.kafka", i)
		all = append(all, service{"kafka", p, s.Name, s.Hosts, s.Probes})
		v.kafka(p, s)
	}
	for i, s := range v.inv.Services.Cassandra {
		p := yamldoc.Index("services.cassandra", i)
		all = append(all, service{"cassandra", p, s.Name, s.Hosts, s.Probes})
		v.cassandra(p, s)
	}
	for i, s := range v.inv.Services.Redis {
		p := yamldoc.Index("services.redis", i)
		all = append(all, service{"redis", p, s.Name, s.Hosts, s.Probes})
		v.redis(p, s)
	}
	for i, s := range v.inv.Services.Prometheus {
		p := yamldoc.Index("services.prometheus", i)
		all = append(all, service{"prometheus", p, s.Name, nil, nil})
		v.prometheus(p, s)
	}
	for i, s := range v.inv.Services.HTTP {
		p := yamldoc.Index("services.http", i)
		all = append(all, service{"http", p, s.Name, s.Hosts, s.Probes})
		v.http(p, s)
	}
	for i, s := range v.inv.Services.Command {
		p := yamldoc.Index("services.command", i)
		all = append(all, service{"command", p, s.Name, nil, s.Probes})
		v.command(p, s)
	}
	first := map[string]service{}
	for _, s := range all {
		v.name(s.path, s.name, s.kind+" service")
		key := s.kind + "/" + s.name
		if prev, dup := first[key]; dup && s.name != "" {
			v.problem(s.path+".name", "%q already names %s (line %d); %s service names must be unique", s.name, prev.path, v.r.PosOf(prev.path).Line, s.kind)
		} else {
			first[key] = s
		}
		v.serviceHosts(s)
		v.probes(s)
	}
}

// serviceHosts checks that a service's hosts name inventory hosts. When the
// hosts list itself failed to decode, every name would look unknown, so
// nothing is said.
func (v *validator) serviceHosts(s service) {
	if v.r.Failed("hosts") {
		return
	}
	names := v.inv.hostNames()
	for i, h := range s.hosts {
		if _, ok := v.byName[h]; !ok {
			v.problem(yamldoc.Index(s.path+".hosts", i), "no host named %q in hosts%s", h, yamldoc.DidYouMean(h, names))
		}
	}
}

func (v *validator) probes(s service) {
	known := ProbeNames[s.kind]
	for _, name := range sortedKeys(s.probes) {
		p := yamldoc.Join(s.path+".probes", name)
		if !slices.Contains(known, name) {
			v.problem(p, "%s has no probe %q%s (its probes: %s)", s.kind, name, yamldoc.DidYouMean(name, known), strings.Join(known, ", "))
			continue
		}
		cfg := s.probes[name]
		key := s.kind + "." + name
		switch {
		case cfg.Rate < 0:
			v.problem(p+".rate", "a rate cannot be negative")
		case cfg.Rate > 0 && polled[key]:
			v.problem(p+".rate", "this probe asks every interval and sends at no rate: give interval, not rate")
		case cfg.Interval > 0 && !polled[key]:
			v.problem(p+".interval", "this probe sends at a constant rate and polls at no interval: give rate, not interval")
		}
		v.thresholds(p+".thresholds", cfg.Thresholds, probeMetrics[key])
	}
}

// thresholds checks a probe's thresholds, and their metrics against
// allowed when the probe cannot measure every metric.
func (v *validator) thresholds(path string, ths []string, allowed []string) {
	for i, th := range ths {
		t, err := ParseThreshold(th)
		if err != nil {
			v.problem(yamldoc.Index(path, i), "%v", err)
			continue
		}
		if len(allowed) == 0 {
			continue
		}
		ok := false
		for _, m := range allowed {
			ok = ok || t.Metric == m || m == "latency" && t.Unit == "ms"
		}
		if !ok {
			v.problem(yamldoc.Index(path, i), "threshold %q: this probe measures %s, not %s", th, strings.Join(allowed, ", "), t.Metric)
		}
	}
}

func sortedKeys(p Probes) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hostPorts checks a required list of host:port addresses.
func (v *validator) hostPorts(path string, list []string, what, example string, portOptional bool) {
	if len(list) == 0 {
		v.problem(path, "missing; give at least one %s, e.g. [%s]", what, example)
		return
	}
	for i, hp := range list {
		p := yamldoc.Index(path, i)
		if hp == "" {
			v.problem(p, "empty %s", what)
			continue
		}
		if _, _, err := net.SplitHostPort(hp); err != nil && portOptional {
			v.address(p, hp) // a bare host; the driver adds its default port
			continue
		}
		if err := checkHostPort(hp); err != nil {
			v.problem(p, "%v; want host:port, e.g. %s", err, example)
		}
	}
}

func (v *validator) secret(path string, s SecretRef) {
	if err := s.validate(); err != nil {
		v.problem(path, "%v", err)
	}
}

func (v *validator) kafka(path string, k Kafka) {
	v.hostPorts(path+".brokers", k.Brokers, "broker", "kafka-1:9092", false)
	for i, t := range k.Topics {
		v.topic(yamldoc.Index(path+".topics", i), t)
	}
	if k.CanaryTopic != "" {
		v.topic(path+".canary_topic", k.CanaryTopic)
	}
	for i, g := range k.Groups {
		if strings.TrimSpace(g) == "" {
			v.problem(yamldoc.Index(path+".groups", i), "empty consumer group name")
		}
	}
	if k.Version != "" && !kafkaVersionRe.MatchString(k.Version) {
		v.problem(path+".version", "%q is not a Kafka version such as 3.6.0", k.Version)
	}
}

func (v *validator) topic(path, t string) {
	if !kafkaTopicRe.MatchString(t) || t == "." || t == ".." {
		v.problem(path, "%q is not a Kafka topic name (letters, digits, '.', '_', '-', at most 249)", t)
	}
}

func (v *validator) cassandra(path string, c Cassandra) {
	v.hostPorts(path+".contact_points", c.ContactPoints, "contact point", "cassandra-1:9042", true)
	switch {
	case c.Keyspace == "":
		v.problem(path+".keyspace", "missing; name the keyspace the probes use")
	case !cqlIdentRe.MatchString(c.Keyspace):
		v.problem(path+".keyspace", "%q is not a CQL identifier (a letter, then letters, digits or _, at most 48)", c.Keyspace)
	}
	if c.Table != "" && !cqlIdentRe.MatchString(c.Table) {
		v.problem(path+".table", "%q is not a CQL identifier (a letter, then letters, digits or _, at most 48)", c.Table)
	}
	v.secret(path+".password", c.Password)
	if c.Password != "" && c.Username == "" && !v.r.Failed(path+".password") {
		v.problem(path+".username", "missing; a password needs a username")
	}
	switch cl := strings.ToUpper(c.Consistency); {
	case c.Consistency == "":
	case !slices.Contains(CassandraConsistencies, cl):
		v.problem(path+".consistency", "unknown consistency level %q%s (want one of %s)", c.Consistency, yamldoc.DidYouMean(cl, CassandraConsistencies), strings.Join(CassandraConsistencies, ", "))
	case strings.HasPrefix(cl, "LOCAL_") && c.LocalDC == "":
		v.problem(path+".consistency", "%s needs local_dc: the datacenter whose replicas answer", cl)
	}
}

// CassandraConsistencies are the levels cassandra.quorum can read and
// write at.
var CassandraConsistencies = []string{"ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_ONE", "LOCAL_QUORUM", "EACH_QUORUM"}

func (v *validator) redis(path string, r Redis) {
	v.hostPorts(path+".sentinels", r.Sentinels, "sentinel", "redis-1:26379", false)
	if strings.TrimSpace(r.Master) == "" {
		v.problem(path+".master", "missing; give the Sentinel master name, e.g. mymaster")
	}
	v.secret(path+".password", r.Password)
	v.secret(path+".sentinel_password", r.SentinelPassword)
}
