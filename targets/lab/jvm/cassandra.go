package jvm

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// Cassandra ports on each node's own address.
const (
	CassandraPort        = 9042
	cassandraStoragePort = 7000
)

// StartCassandra starts a Cassandra cluster whose nodes are all seeds with
// balanced single tokens and auto_bootstrap off (the ccm convention), so
// that nodes after the first can start together. It returns when every
// node logs "Startup complete".
func StartCassandra(ctx context.Context, o Options) (_ *Cluster, err error) {
	o.defaults(384)
	lib, err := Jars(ctx, "cassandra")
	if err != nil {
		return nil, err
	}
	jamm, err := jarNamed(lib, "jamm-")
	if err != nil {
		return nil, err
	}
	logback, err := o.prepare("logback.xml", cassandraLogback, CassandraPort, cassandraStoragePort)
	if err != nil {
		return nil, err
	}
	var seeds []string
	for i := 1; i <= o.Nodes; i++ {
		seeds = append(seeds, fmt.Sprintf("%s:%d", nodeAddr(o, i), cassandraStoragePort))
	}
	c := &Cluster{}
	defer c.stopOnError(&err)
	for i := 1; i <= o.Nodes; i++ {
		n, dir, err := c.newNode(o, i, "cassandra", CassandraPort)
		if err != nil {
			return nil, err
		}
		addr := n.Addr
		yaml := filepath.Join(dir, "cassandra.yaml")
		snitch := "SimpleSnitch"
		var rackdc []string
		if len(o.DCs) > 0 {
			// Each node says its datacenter in its rackdc file;
			// Gossip tells the others.
			snitch = "GossipingPropertyFileSnitch"
			props := filepath.Join(dir, "cassandra-rackdc.properties")
			if err := os.WriteFile(props, []byte("dc="+o.DCs[i-1]+"\nrack=rack1\n"), 0o644); err != nil {
				return nil, err
			}
			rackdc = []string{"-Dcassandra-rackdc.properties=file://" + props}
		}
		conf := fmt.Sprintf(cassandraYAML, token(i-1, o.Nodes), snitch, strings.Join(seeds, ","), addr, addr,
			cassandraStoragePort, CassandraPort, n.DataDir, dir, dir, dir, dir)
		if err := os.WriteFile(yaml, []byte(conf), 0o644); err != nil {
			return nil, err
		}
		argv := []string{"java", fmt.Sprintf("-Xms%dm", o.HeapMB), fmt.Sprintf("-Xmx%dm", o.HeapMB)}
		argv = append(argv, cassandraJVMFlags...)
		argv = append(argv,
			"-javaagent:"+jamm,
			"-Dcassandra.config=file://"+yaml,
			"-Dcassandra.storagedir="+dir,
			"-Dcassandra.logdir="+dir,
			"-Dlogback.configurationFile="+logback,
			"-Dcassandra-foreground=yes",
			// JMX listens on localhost only; a clash between nodes is fatal.
			fmt.Sprintf("-Dcassandra.jmx.local.port=%d", 17199+rand4(o.Subnet, i)),
			"-Dcassandra.skip_wait_for_gossip_to_settle=0",
			"-Dcassandra.ring_delay_ms=1000",
			"-Djna.tmpdir="+dir)
		argv = append(argv, rackdc...)
		argv = append(argv,
			"-cp", filepath.Join(lib, "*"),
			"org.apache.cassandra.service.CassandraDaemon")
		n.LogFile, n.ready, n.argv = filepath.Join(dir, "out.log"), "Startup complete", argv
		n.marker = "-Dcassandra.config=file://" + yaml
		if err := c.add(n, dir); err != nil {
			return nil, err
		}
	}
	// The first node alone, then the rest together: the safest order.
	if err := startAll(ctx, c.Nodes[:1], o.Progress); err != nil {
		return nil, err
	}
	if err := startAll(ctx, c.Nodes[1:], o.Progress); err != nil {
		return nil, err
	}
	return c, nil
}

// rand4 spreads JMX ports by subnet and node so parallel clusters differ.
func rand4(subnet string, i int) int {
	var third int
	fmt.Sscanf(subnet[strings.LastIndex(subnet, ".")+1:], "%d", &third)
	return third*10 + i
}

// token returns node i's balanced Murmur3 token out of n.
func token(i, n int) string {
	span := new(big.Int).Lsh(big.NewInt(1), 64)
	t := new(big.Int).Mul(span, big.NewInt(int64(i)))
	t.Div(t, big.NewInt(int64(n)))
	t.Sub(t, new(big.Int).Lsh(big.NewInt(1), 63))
	return t.String()
}

// cassandraJVMFlags are what Cassandra 5.0's jvm17-server.options asks of
// Java 17 (module exports and opens for its internals, netty's
// direct-buffer settings) plus IPv4 for loopback addresses.
var cassandraJVMFlags = []string{
	// A lab heap is small: the serial collector and C1 alone keep a
	// node's threads few, which matters with six JVMs on two cores.
	"-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
	"-Djdk.attach.allowAttachSelf=true",
	"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
	"--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
	"--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
	"--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
	"--add-exports", "java.sql/java.sql=ALL-UNNAMED",
	"--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
	"--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
	"--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
	"--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
	"--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
	"--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
	"--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
	"--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
	"--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
	"--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
	"--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
	"--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
	"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
	"--add-opens", "java.base/java.io=ALL-UNNAMED",
	"--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
	"--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
	"--add-opens", "java.base/java.lang=ALL-UNNAMED",
	"--add-opens", "java.base/java.util=ALL-UNNAMED",
	"-Dio.netty.tryReflectionSetAccessible=true",
	"-Dio.netty.allocator.useCacheForAllThreads=true",
	"-Dio.netty.allocator.maxOrder=11",
	"-Djava.net.preferIPv4Stack=true",
}

// cassandraYAML is one node's configuration: small caches for a lab heap,
// the default 5 s/2 s read/write timeouts kept as in production.
const cassandraYAML = `cluster_name: 'gameday-lab'
num_tokens: 1
initial_token: "%s"
auto_bootstrap: false
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: %s
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "%s"
listen_address: %s
rpc_address: %s
storage_port: %d
native_transport_port: %d
memtable_heap_space: 64MiB
key_cache_size: 16MiB
concurrent_compactors: 1
concurrent_reads: 8
concurrent_writes: 8
data_file_directories: [%s]
commitlog_directory: %s/commitlog
saved_caches_directory: %s/saved_caches
hints_directory: %s/hints
cdc_raw_directory: %s/cdc_raw
`

const cassandraLogback = `<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
`
