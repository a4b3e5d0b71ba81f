package lab

// Node kinds, as in targets.LabNode.Kind.
const (
	KindRedis    = "redis"
	KindSentinel = "sentinel"
	KindKafka    = "kafka"
)
