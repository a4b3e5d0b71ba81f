package labapi

// Node kinds, as in targets.LabNode.Kind and NodeStatus.Kind. A real
// Apache Kafka broker of the full lab is a KindKafka node too.
const (
	KindRedis     = "redis"
	KindSentinel  = "sentinel"
	KindKafka     = "kafka"
	KindCassandra = "cassandra"
)

// Node states reported by the control API.
const (
	StateRunning = "running"
	StatePaused  = "paused"
	StateStopped = "stopped"
)

// NodeStatus is one lab node as GET /v1/nodes reports it: what runs now,
// which is what a check or a selector must trust over the inventory (a
// node restarted after a kill has a new pid).
type NodeStatus struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	PID   int    `json:"pid,omitempty"`
	State string `json:"state"`
	// Listen is the node's own address; Proxy and ProxyAddr its network.
	// ProxyAddr is the address its clients and peers use (and the one
	// Sentinel announces a lab Redis node by).
	Listen    string `json:"listen,omitempty"`
	Proxy     string `json:"proxy,omitempty"`
	ProxyAddr string `json:"proxy_addr,omitempty"`
	// Cut is set while the node is partitioned (proxy disabled or broker
	// cut).
	Cut bool `json:"cut,omitempty"`
	// Blocked names the peers whose connections this node refuses (a
	// peer-specific or outgoing cut).
	Blocked []string `json:"blocked,omitempty"`
	// Toxics names the toxics on the node's proxy.
	Toxics []string `json:"toxics,omitempty"`
	// FaketimeFile is the node's libfaketime control file, if any.
	FaketimeFile string `json:"faketime_file,omitempty"`
}

// Health is the lab's current health, as GET /v1/health reports it.
type Health struct {
	Redis *RedisHealth `json:"redis,omitempty"`
	// KafkaLag is the group's total lag; KafkaError says why it is unknown.
	KafkaLag   *int64 `json:"kafka_lag,omitempty"`
	KafkaError string `json:"kafka_error,omitempty"`
}

// RedisHealth is what the Sentinels and nodes say about the deployment.
// Its JSON keys are the Go field names, as the API has always sent them.
type RedisHealth struct {
	// Master is the master address every Sentinel agrees on ("" if they
	// disagree or cannot be reached).
	Master string
	// Sentinels maps each Sentinel to the master it names.
	Sentinels map[string]string
	// ReplicasUp counts replicas of Master with master_link_status:up.
	ReplicasUp int
	// Problem is the first thing that keeps the deployment from green.
	Problem string
}

// Green reports whether the Sentinels agree and both replicas are in sync.
func (h RedisHealth) Green() bool { return h.Problem == "" }
