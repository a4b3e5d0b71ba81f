package jvm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/internal/proc"
)

// Kafka ports on each node's own address.
const (
	KafkaPort           = 9092
	kafkaControllerPort = 9093
)

// StartKafka formats and starts a KRaft cluster of combined
// broker+controller nodes with a static voter set and replication factor
// 3, and returns when every node logs "Kafka Server started".
func StartKafka(ctx context.Context, o Options) (_ *Cluster, err error) {
	o.defaults(256)
	lib, err := Jars(ctx, "kafka")
	if err != nil {
		return nil, err
	}
	log4j, err := o.prepare("log4j2.properties", kafkaLog4j, KafkaPort, kafkaControllerPort)
	if err != nil {
		return nil, err
	}
	clusterID, err := javaOutput(ctx, lib, "kafka.tools.StorageTool", "random-uuid")
	if err != nil {
		return nil, err
	}
	var voters []string
	for i := 1; i <= o.Nodes; i++ {
		voters = append(voters, fmt.Sprintf("%d@%s:%d", i, nodeAddr(o, i), kafkaControllerPort))
	}
	rf := min(3, o.Nodes)
	c := &Cluster{}
	defer c.stopOnError(&err)
	for i := 1; i <= o.Nodes; i++ {
		n, dir, err := c.newNode(o, i, "kafka", KafkaPort)
		if err != nil {
			return nil, err
		}
		addr := n.Addr
		props := filepath.Join(dir, "server.properties")
		conf := fmt.Sprintf(kafkaProps, i, strings.Join(voters, ","),
			addr, KafkaPort, addr, kafkaControllerPort, addr, KafkaPort,
			n.DataDir, rf, rf, max(1, rf-1), rf, max(1, rf-1))
		if err := os.WriteFile(props, []byte(conf), 0o644); err != nil {
			return nil, err
		}
		// On a namespace host the log dir may be a tmpfs only the host
		// sees: format it from inside.
		if _, err := javaOutputOn(ctx, n.host, lib, "kafka.tools.StorageTool", "format", "-t", clusterID, "-c", props); err != nil {
			return nil, err
		}
		n.LogFile, n.ready, n.marker = filepath.Join(dir, "server.log"), "Kafka Server started", props
		n.argv = []string{"java", fmt.Sprintf("-Xms%dm", o.HeapMB), fmt.Sprintf("-Xmx%dm", o.HeapMB),
			"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss512k", "-Djava.awt.headless=true",
			"-Dlog4j2.configurationFile=" + log4j, "-cp", filepath.Join(lib, "*"), "kafka.Kafka", props}
		if err := c.add(n, dir); err != nil {
			return nil, err
		}
	}
	if err := startAll(ctx, c.Nodes, o.Progress); err != nil {
		return nil, err
	}
	return c, nil
}

// javaOutput runs a main class on lib's classpath and returns its trimmed
// standard output.
func javaOutput(ctx context.Context, lib, main string, args ...string) (string, error) {
	return javaOutputOn(ctx, nil, lib, main, args...)
}

// javaOutputOn is javaOutput run as if on host (nil: here).
func javaOutputOn(ctx context.Context, host *hostns.Host, lib, main string, args ...string) (string, error) {
	argv := append([]string{"java", "-cp", filepath.Join(lib, "*"), main}, args...)
	if host != nil {
		argv = append(host.Spec(proc.Spec{}).Argv, argv...)
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("java %s %s: %w\n%s", main, strings.Join(args, " "), err, lastLines(string(out), 10))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// kafkaProps is a combined broker+controller node of a static quorum.
// The short session timeouts make a cut broker's loss visible in seconds,
// as in a game day, instead of Kafka's production defaults. The generous
// registration and quorum timeouts keep a start on a starved 2-core
// machine from giving up: by default a broker that cannot register within
// 60 s shuts itself down.
const kafkaProps = `process.roles=broker,controller
node.id=%d
controller.quorum.voters=%s
listeners=PLAINTEXT://%s:%d,CONTROLLER://%s:%d
advertised.listeners=PLAINTEXT://%s:%d
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=%s
offsets.topic.replication.factor=%d
transaction.state.log.replication.factor=%d
transaction.state.log.min.isr=%d
default.replication.factor=%d
min.insync.replicas=%d
num.partitions=6
group.initial.rebalance.delay.ms=0
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
initial.broker.registration.timeout.ms=300000
controller.quorum.election.timeout.ms=3000
controller.quorum.fetch.timeout.ms=6000
controller.quorum.request.timeout.ms=10000
replica.lag.time.max.ms=10000
log.segment.bytes=16777216
num.network.threads=2
num.io.threads=2
background.threads=2
log.cleaner.enable=false
`

const kafkaLog4j = `status = warn
appender.file.type = Console
appender.file.name = OUT
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = info
logger.state.name = state.change.logger
logger.state.level = warn
`
