// Package targets knows what exists: the hosts of a game day and the
// services that run on them, as described by inventory.yaml.
package targets

import (
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// Inventory is a loaded, validated inventory.yaml.
type Inventory struct {
	// Path is the file it was loaded from (not in YAML).
	Path string `yaml:"-" json:"-"`
	// Name labels the inventory in the TUI and in reports.
	Name string `yaml:"name" json:"name"`
	// SSH holds defaults for every host's SSH settings.
	SSH SSH `yaml:"ssh,omitempty" json:"ssh,omitempty"`
	// Hosts are the machines (or lab nodes) faults can target.
	Hosts []Host `yaml:"hosts" json:"hosts"`
	// Services are what the probes watch.
	Services Services `yaml:"services" json:"services"`
	// Lab is set when the inventory describes gameday's local lab.
	Lab *Lab `yaml:"lab,omitempty" json:"lab,omitempty"`
	// Toxiproxy lists the team's own Toxiproxy servers; hosts name one
	// (Host.Toxiproxy) to take their network faults through its proxies.
	Toxiproxy []ToxiproxyServer `yaml:"toxiproxy,omitempty" json:"toxiproxy,omitempty"`
}

// SSH describes how to reach a host over SSH. Empty fields fall back to the
// inventory's defaults, then to ~/.ssh/config, then to ssh's own defaults.
type SSH struct {
	User         string `yaml:"user,omitempty" json:"user,omitempty"`
	Port         int    `yaml:"port,omitempty" json:"port,omitempty"`
	IdentityFile string `yaml:"identity_file,omitempty" json:"identity_file,omitempty"`
	KnownHosts   string `yaml:"known_hosts,omitempty" json:"known_hosts,omitempty"`
	// Jump is a ProxyJump host ("user@host:port" or a host name from this
	// inventory).
	Jump string `yaml:"jump,omitempty" json:"jump,omitempty"`
}

// Host is one machine. Address is what SSH and peer filters use.
type Host struct {
	Name    string   `yaml:"name" json:"name"`
	Address string   `yaml:"address" json:"address"`
	SSH     SSH      `yaml:"ssh,omitempty" json:"ssh,omitempty"`
	Tags    []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	Roles   []string `yaml:"roles,omitempty" json:"roles,omitempty"`
	// Lab is set for nodes of the local lab; faults then go through the lab's
	// control API instead of SSH.
	Lab *LabNode `yaml:"lab,omitempty" json:"lab,omitempty"`
	// Toxiproxy is set for a host whose network faults go through a proxy
	// of a Toxiproxy server the team runs, instead of SSH.
	Toxiproxy *ToxiproxyProxy `yaml:"toxiproxy,omitempty" json:"toxiproxy,omitempty"`
}

// ToxiproxyProxy names a proxy of one of the inventory's Toxiproxy
// servers.
type ToxiproxyProxy struct {
	// Server is the name of an entry of the inventory's toxiproxy list.
	Server string `yaml:"server" json:"server"`
	// Proxy is the name of the proxy in front of this host's service, as
	// the server lists it (GET /proxies).
	Proxy string `yaml:"proxy" json:"proxy"`
	// At is where the inventory names the proxy (file, line, column and
	// field; no message), so that a proxy its server turns out not to have
	// is reported there. Zero for an inventory built in code.
	At yamldoc.Problem `yaml:"-" json:"-"`
}

// ToxiproxyServer is a Toxiproxy server a team runs in front of its
// services.
type ToxiproxyServer struct {
	Name string `yaml:"name" json:"name"`
	// API is the server's HTTP API: scheme, host, port and an optional
	// path prefix ("http://toxiproxy.staging:8474").
	API string `yaml:"api" json:"api"`
	// Token, when set, is sent as "Authorization: Bearer …", for a server
	// behind an authenticating reverse proxy. Only a reference (env:NAME,
	// file:PATH) is written anywhere; the value is read when sent.
	Token SecretRef `yaml:"token,omitempty" json:"token,omitempty" yamldoc:"secret"`
}

// ToxiproxyServerNamed returns the inventory's Toxiproxy server of that
// name.
func (inv *Inventory) ToxiproxyServerNamed(name string) (ToxiproxyServer, bool) {
	for _, s := range inv.Toxiproxy {
		if s.Name == name {
			return s, true
		}
	}
	return ToxiproxyServer{}, false
}

// LabNode describes a lab child process standing for a host.
type LabNode struct {
	// Kind is "redis", "sentinel", "kafka" or "cassandra".
	Kind string `yaml:"kind" json:"kind"`
	// PID of the node's process when the inventory was written (kfake
	// brokers run inside the lab process itself and have the lab's PID).
	PID int `yaml:"pid,omitempty" json:"pid,omitempty"`
	// DataDir is the node's data directory (disk-fill target).
	DataDir string `yaml:"data_dir,omitempty" json:"data_dir,omitempty"`
	// Proxy is the Toxiproxy proxy standing for this node's network, if any.
	Proxy string `yaml:"proxy,omitempty" json:"proxy,omitempty"`
	// Listen is the node's own address, behind its proxy.
	Listen string `yaml:"listen,omitempty" json:"listen,omitempty"`
	// FaketimeFile is the libfaketime control file of the process, if it
	// runs under libfaketime (clock-drift target).
	FaketimeFile string `yaml:"faketime_file,omitempty" json:"faketime_file,omitempty"`
}

// Lab holds the lab's control endpoints.
type Lab struct {
	Dir string `yaml:"dir" json:"dir"`
	// Control is the lab supervisor's HTTP API (host:port on loopback).
	Control string `yaml:"control" json:"control"`
	// Toxiproxy is the embedded Toxiproxy API (host:port).
	Toxiproxy string `yaml:"toxiproxy,omitempty" json:"toxiproxy,omitempty"`
}

// Services groups the services of an inventory by type.
type Services struct {
	Kafka     []Kafka     `yaml:"kafka,omitempty" json:"kafka,omitempty"`
	Cassandra []Cassandra `yaml:"cassandra,omitempty" json:"cassandra,omitempty"`
	Redis     []Redis     `yaml:"redis,omitempty" json:"redis,omitempty"`
	// Prometheus servers whose PromQL queries are probes.
	Prometheus []Prometheus `yaml:"prometheus,omitempty" json:"prometheus,omitempty"`
	// HTTP endpoints probed at a constant rate.
	HTTP []HTTP `yaml:"http,omitempty" json:"http,omitempty"`
	// Command probes: a command's exit status and output.
	Command []Command `yaml:"command,omitempty" json:"command,omitempty"`
}

// count is how many services the inventory lists, of every kind.
func (s Services) count() int {
	return len(s.Kafka) + len(s.Cassandra) + len(s.Redis) + len(s.Prometheus) + len(s.HTTP) + len(s.Command)
}

// Kafka is a Kafka cluster.
type Kafka struct {
	Name string `yaml:"name" json:"name"`
	// Hosts are the inventory hosts running its brokers (blast radius).
	Hosts   []string `yaml:"hosts" json:"hosts"`
	Brokers []string `yaml:"brokers" json:"brokers"`
	Topics  []string `yaml:"topics,omitempty" json:"topics,omitempty"`
	Groups  []string `yaml:"groups,omitempty" json:"groups,omitempty"`
	// CanaryTopic is used by kafka.latency (created if missing and allowed).
	CanaryTopic string `yaml:"canary_topic,omitempty" json:"canary_topic,omitempty"`
	// Version is the Kafka protocol version sarama speaks ("3.6.0"); empty
	// means a safe default.
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
	Probes  Probes `yaml:"probes,omitempty" json:"probes,omitempty"`
}

// Cassandra is a Cassandra cluster.
type Cassandra struct {
	Name          string   `yaml:"name" json:"name"`
	Hosts         []string `yaml:"hosts" json:"hosts"`
	ContactPoints []string `yaml:"contact_points" json:"contact_points"`
	Keyspace      string   `yaml:"keyspace" json:"keyspace"`
	Table         string   `yaml:"table,omitempty" json:"table,omitempty"`
	LocalDC       string   `yaml:"local_dc,omitempty" json:"local_dc,omitempty"`
	// Consistency is the level cassandra.quorum writes and reads at:
	// QUORUM (the default), LOCAL_QUORUM or LOCAL_ONE (with LocalDC: the
	// replicas of that datacenter answer), EACH_QUORUM (a quorum in every
	// datacenter), ONE, TWO, THREE or ALL.
	Consistency string `yaml:"consistency,omitempty" json:"consistency,omitempty"`
	// CreateTable allows gameday to CREATE its canary table IF NOT EXISTS.
	CreateTable bool      `yaml:"create_table,omitempty" json:"create_table,omitempty"`
	Username    string    `yaml:"username,omitempty" json:"username,omitempty"`
	Password    SecretRef `yaml:"password,omitempty" json:"password,omitempty" yamldoc:"secret"`
	Probes      Probes    `yaml:"probes,omitempty" json:"probes,omitempty"`
}

// Redis is a Sentinel-managed Redis deployment.
type Redis struct {
	Name string `yaml:"name" json:"name"`
	// Hosts run its Redis nodes and Sentinels.
	Hosts     []string `yaml:"hosts" json:"hosts"`
	Sentinels []string `yaml:"sentinels" json:"sentinels"`
	// Master is the Sentinel master name ("mymaster").
	Master           string    `yaml:"master" json:"master"`
	Password         SecretRef `yaml:"password,omitempty" json:"password,omitempty" yamldoc:"secret"`
	SentinelPassword SecretRef `yaml:"sentinel_password,omitempty" json:"sentinel_password,omitempty" yamldoc:"secret"`
	Probes           Probes    `yaml:"probes,omitempty" json:"probes,omitempty"`
}

// Probes configures a service's probes by probe name: "latency", "master",
// "lag", "quorum", "integrity". A missing entry means the probe's defaults.
type Probes map[string]ProbeConfig

// ProbeConfig tunes one probe.
type ProbeConfig struct {
	// Disabled turns the probe off.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Rate is requests per second for open-model probes ("10/s" in YAML).
	Rate float64 `yaml:"rate,omitempty" json:"rate,omitempty" yamldoc:"rate"`
	// Interval is the polling period for polled probes.
	Interval time.Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	// Timeout bounds one request.
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Window is the rolling statistics window (default 10s).
	Window time.Duration `yaml:"window,omitempty" json:"window,omitempty"`
	// Thresholds are conditions that must hold ("p99 < 50ms",
	// "lag <= 1000", "success >= 99.9%", "master: stable").
	Thresholds []string `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
}

// SecretRef points at a secret without containing it: "env:NAME" or
// "file:PATH". Resolve reads it; String never reveals it.
type SecretRef string
