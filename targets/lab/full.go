package lab

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/IBM/sarama"
	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gameday-dev/gameday/internal/hostns"
	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/jvm"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// Names used by the full lab's real clusters.
const (
	RealKafkaService  = "real-kafka"
	CassandraService  = "lab-cassandra"
	RealKafkaTopic    = "orders"
	RealKafkaGroup    = "orders-consumers"
	CassandraKeyspace = "gameday"
	// ClockDriftNode is the Cassandra node (cassandra-3) that runs under
	// libfaketime, the target of clock-drift drills; the others run
	// without its cost.
	ClockDriftNode     = 3
	realKafkaNodeName  = "broker-%d"
	cassandraNodeNames = "cassandra-%d"
)

// fullLab is the real Apache Kafka and Cassandra clusters of `lab --full`,
// one JVM per node: on its own loopback address, cut by a firewall chain
// of the lab's own; or, with --ssh, on a namespace host of its own reached
// over SSH.
type fullLab struct {
	kafka, cassandra *jvm.Cluster // nil when left out
	fw               *jvm.Firewall
	ssh              *sshNet // --ssh: the nodes' hosts
	work             *realWorkload
	dcs              []string // each Cassandra node's datacenter
}

// cassandraDCs names each Cassandra node's datacenter: one "datacenter1"
// (SimpleSnitch's) unless sizes gives several, then dc1, dc2, ….
func cassandraDCs(sizes []int) (names []string, multi bool) {
	if len(sizes) == 0 {
		sizes = []int{3}
	}
	for d, n := range sizes {
		for range n {
			if len(sizes) == 1 {
				names = append(names, "datacenter1")
			} else {
				names = append(names, fmt.Sprintf("dc%d", d+1))
			}
		}
	}
	return names, len(sizes) > 1
}

// dcOf is Cassandra node i's datacenter (SimpleSnitch's "datacenter1"
// when the lab did not name them).
func (f *fullLab) dcOf(i int) string {
	if i < len(f.dcs) {
		return f.dcs[i]
	}
	return "datacenter1"
}

// startFull starts the real clusters (Options.realClusters) in parallel
// (on their SSH hosts with --ssh), then the Kafka workload and the
// Cassandra keyspace.
func (l *Lab) startFull(ctx context.Context) error {
	o := l.opts
	if err := jvm.Require(); err != nil {
		return err
	}
	self, err := proc.Self()
	if err != nil {
		return err
	}
	dcs, multiDC := cassandraDCs(o.CassandraDCs)
	f := &fullLab{fw: jvm.NewLabFirewall(self), dcs: dcs}
	l.full = f
	progress := func(s string) { o.Progress("full: " + s) }
	cgroup := jvm.LabCgroup(self.PID)
	kopts := jvm.Options{Dir: filepath.Join(o.Dir, "real-kafka"), TmpfsMB: o.DataTmpfsMB, Cgroup: cgroup + "/kafka", Progress: progress}
	copts := jvm.Options{Dir: filepath.Join(o.Dir, "cassandra"), Nodes: len(dcs), FaketimeNode: ClockDriftNode, Cgroup: cgroup + "/cassandra", Progress: progress}
	if multiDC {
		copts.DCs = dcs
	}
	if o.SSH {
		t0 := time.Now()
		var nodes []sshNode
		if slices.Contains(o.realClusters(), labapi.KindKafka) {
			for i := 1; i <= 3; i++ {
				n := sshNode{name: fmt.Sprintf(realKafkaNodeName, i)}
				if o.DataTmpfsMB > 0 {
					n.mounts = []hostns.Mount{{Dir: filepath.Join(jvm.NodeDir(kopts.Dir, i), "data"), SizeMB: o.DataTmpfsMB}}
				}
				nodes = append(nodes, n)
			}
		}
		for i := range dcs {
			nodes = append(nodes, sshNode{name: fmt.Sprintf(cassandraNodeNames, i+1)})
		}
		if f.ssh, err = newSSHNet(filepath.Join(o.Dir, "ssh"), self, nodes); err != nil {
			return fmt.Errorf("--ssh: %w", err)
		}
		progress(fmt.Sprintf("%d namespace hosts with sshd on %s (bridge; this machine is %s) in %s", len(nodes), f.ssh.net.Subnet, f.ssh.net.RunnerAddr, time.Since(t0).Round(time.Millisecond)))
		for _, n := range nodes {
			h := f.ssh.host(n.name)
			if n.name[:6] == "broker" {
				kopts.Hosts = append(kopts.Hosts, h)
			} else {
				copts.Hosts = append(copts.Hosts, h)
			}
		}
	}
	var wg sync.WaitGroup
	var kerr, cerr error
	for _, kind := range o.realClusters() {
		switch kind {
		case labapi.KindKafka:
			wg.Go(func() { f.kafka, kerr = jvm.StartKafka(ctx, kopts) })
		case labapi.KindCassandra:
			wg.Go(func() { f.cassandra, cerr = jvm.StartCassandra(ctx, copts) })
		}
	}
	wg.Wait()
	if err := errors.Join(kerr, cerr); err != nil {
		return err
	}
	if f.kafka != nil {
		for i, n := range f.kafka.Nodes {
			n.Name = fmt.Sprintf(realKafkaNodeName, i+1)
		}
		w, err := startRealWorkload(ctx, f.kafka.Endpoints())
		if err != nil {
			return err
		}
		f.work = w
		progress(fmt.Sprintf("topic %s (6 partitions, RF 3) with a producer and group %s", RealKafkaTopic, RealKafkaGroup))
	}
	repl, err := createKeyspace(ctx, f.cassandra.Endpoints(), dcs, multiDC)
	if err != nil {
		return err
	}
	progress(fmt.Sprintf("keyspace %s (%s)", CassandraKeyspace, repl))
	return nil
}

// stop ends the workload, both clusters and the firewall chain.
func (f *fullLab) stop() error {
	if f == nil {
		return nil
	}
	if f.work != nil {
		f.work.close()
	}
	for _, c := range []*jvm.Cluster{f.kafka, f.cassandra} {
		if c != nil {
			c.Stop()
		}
	}
	return errors.Join(f.fw.Remove(), f.ssh.remove())
}

// node finds a real node by host name.
func (f *fullLab) node(name string) *jvm.Node {
	if f == nil {
		return nil
	}
	for _, c := range []*jvm.Cluster{f.kafka, f.cassandra} {
		if c == nil {
			continue
		}
		if n := c.Node(name); n != nil {
			return n
		}
	}
	return nil
}

// do runs one action on a real node.
func (f *fullLab) do(n *jvm.Node, a labapi.Action) (int, error) {
	switch a.Op {
	case labapi.OpSignal:
		sig, ok := signals[strings.TrimPrefix(strings.ToUpper(a.Signal), "SIG")]
		if !ok {
			return n.PID(), fmt.Errorf("signal: unknown signal %q (want KILL, STOP, CONT, TERM, INT or HUP)", a.Signal)
		}
		pid := n.PID()
		return pid, n.Signal(sig)
	case labapi.OpStart:
		if n.Running() {
			// The revert of a pause that was never armed must not leave a
			// node frozen.
			return n.PID(), n.Signal(syscall.SIGCONT)
		}
		ctx, cancel := context.WithTimeout(context.Background(), labapi.JVMStartBound)
		defer cancel()
		return n.PID(), n.Start(ctx)
	case labapi.OpStop:
		n.Stop(20 * time.Second)
		return 0, nil
	case labapi.OpCut, labapi.OpHeal:
		if f.ssh != nil {
			return n.PID(), fmt.Errorf("%s: %s runs on a host of its own: partition it over SSH (its inventory entry has no lab: block)", a.Op, n.Name)
		}
		if a.Op == labapi.OpCut {
			return n.PID(), f.fw.Isolate(n.Addr, n.Cgroup)
		}
		return n.PID(), f.fw.Heal(n.Addr, n.Cgroup)
	case labapi.OpFaketime:
		return n.PID(), n.SetClockOffset(a.Offset)
	default:
		return n.PID(), fmt.Errorf("%s: %s is a real %s node; it supports signal, start, stop, cut, heal and faketime", a.Op, n.Name, nodeKind(n.Name))
	}
}

func nodeKind(name string) string {
	if len(name) > 6 && name[:6] == "broker" {
		return "Kafka"
	}
	return "Cassandra"
}

// status reports a real node for GET /v1/nodes.
func (f *fullLab) status() []labapi.NodeStatus {
	var out []labapi.NodeStatus
	for _, c := range []*jvm.Cluster{f.kafka, f.cassandra} {
		if c == nil {
			continue
		}
		for _, n := range c.Nodes {
			st := labapi.StateStopped
			if n.Running() {
				st = labapi.StateRunning
				if n.Paused() {
					st = labapi.StatePaused
				}
			}
			out = append(out, labapi.NodeStatus{Name: n.Name, Kind: kindOf(n.Name), PID: n.PID(), State: st, Listen: n.Endpoint()})
		}
	}
	return out
}

func kindOf(name string) string {
	if nodeKind(name) == "Kafka" {
		return labapi.KindKafka
	}
	return labapi.KindCassandra
}

// hosts and services of the full lab, for the inventory: lab nodes, or
// with --ssh ordinary SSH hosts (no lab: block) that every fault reaches
// through the SSH executor.
func (f *fullLab) addTo(inv *targets.Inventory) {
	var kafka *targets.Kafka
	if f.kafka != nil {
		kafka = &targets.Kafka{
			Name:   RealKafkaService,
			Topics: []string{RealKafkaTopic}, Groups: []string{RealKafkaGroup},
			Probes: targets.Probes{"lag": {Thresholds: []string{"lag <= 1000"}}},
		}
	}
	cass := targets.Cassandra{
		Name: CassandraService, ContactPoints: f.cassandra.Endpoints(),
		Keyspace: CassandraKeyspace, LocalDC: f.dcOf(0), CreateTable: true,
		Probes: targets.Probes{
			"quorum": {Thresholds: []string{"success >= 99%"}},
			// The lost-write detector: with cassandra-3's clock drifted
			// back, its writes lose to older ones by last-write-wins.
			"integrity": {Thresholds: []string{"lost == 0"}},
		},
	}
	for _, c := range []*jvm.Cluster{f.kafka, f.cassandra} {
		if c == nil {
			continue
		}
		for i, n := range c.Nodes {
			kind := kindOf(n.Name)
			h := targets.Host{Name: n.Name, Address: n.Addr, Tags: []string{"lab", "real"}, Roles: []string{kind}}
			if kind == labapi.KindCassandra && f.dcOf(i) != "datacenter1" {
				h.Tags = append(h.Tags, f.dcOf(i))
			}
			if f.ssh != nil {
				h.Tags = append(h.Tags, "ssh")
				h.SSH = f.ssh.ssh()
			} else {
				h.Lab = &targets.LabNode{Kind: kind, PID: n.PID(), DataDir: n.DataDir, Listen: n.Endpoint(), FaketimeFile: n.FaketimeFile}
			}
			inv.Hosts = append(inv.Hosts, h)
			if kind == labapi.KindKafka {
				kafka.Hosts = append(kafka.Hosts, n.Name)
				kafka.Brokers = append(kafka.Brokers, n.Endpoint())
			} else {
				cass.Hosts = append(cass.Hosts, n.Name)
			}
		}
	}
	if kafka != nil {
		inv.Services.Kafka = append(inv.Services.Kafka, *kafka)
	}
	inv.Services.Cassandra = append(inv.Services.Cassandra, cass)
	inv.Services.Cassandra = append(inv.Services.Cassandra, f.dcViews(cass)...)
}

// Services that watch a multi-datacenter cluster from each side: one per
// datacenter at LOCAL_QUORUM (its own nodes as contact points and
// coordinators), and one at EACH_QUORUM. The main service, at QUORUM,
// counts replicas across datacenters.
func (f *fullLab) dcViews(main targets.Cassandra) []targets.Cassandra {
	var order []string
	for _, d := range f.dcs {
		if !slices.Contains(order, d) {
			order = append(order, d)
		}
	}
	if len(order) < 2 {
		return nil
	}
	quorum := targets.Probes{"quorum": {Thresholds: []string{"success >= 99%"}}}
	var out []targets.Cassandra
	for _, d := range order {
		v := targets.Cassandra{Name: CassandraService + "-" + d, Keyspace: CassandraKeyspace, LocalDC: d, Consistency: "LOCAL_QUORUM", CreateTable: true, Probes: quorum}
		for i, n := range f.cassandra.Nodes {
			if f.dcs[i] == d {
				v.Hosts = append(v.Hosts, n.Name)
				v.ContactPoints = append(v.ContactPoints, n.Endpoint())
			}
		}
		out = append(out, v)
	}
	each := main
	each.Name, each.Consistency, each.Probes = CassandraService+"-each", "EACH_QUORUM", quorum
	return append(out, each)
}

// createKeyspace makes the keyspace the probes use: replicated to all
// three nodes of one datacenter (SimpleStrategy, so QUORUM means two of
// three), or with several datacenters NetworkTopologyStrategy with up to
// three replicas in each. It returns the replication it chose.
func createKeyspace(ctx context.Context, contact []string, dcs []string, multi bool) (string, error) {
	repl := "'class': 'SimpleStrategy', 'replication_factor': 3"
	if multi {
		count := map[string]int{}
		var order []string
		for _, d := range dcs {
			if count[d] == 0 {
				order = append(order, d)
			}
			count[d]++
		}
		repl = "'class': 'NetworkTopologyStrategy'"
		for _, d := range order {
			repl += fmt.Sprintf(", '%s': %d", d, min(3, count[d]))
		}
	}
	cl := gocql.NewCluster(contact...)
	cl.Timeout = 20 * time.Second
	cl.ConnectTimeout = 10 * time.Second
	s, err := cl.CreateSession()
	if err != nil {
		return "", fmt.Errorf("connect to the lab's Cassandra: %w", err)
	}
	defer s.Close()
	q := fmt.Sprintf(`CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {%s}`, CassandraKeyspace, repl)
	if err := s.Query(q).WithContext(ctx).Exec(); err != nil {
		return "", fmt.Errorf("create keyspace %s: %w", CassandraKeyspace, err)
	}
	// The driver waits for agreement after a schema change but only logs
	// when it gives up; a keyspace some node does not know yet would
	// surface later as a probe's INCOMPATIBLE_SCHEMA error.
	if err := s.AwaitSchemaAgreement(ctx); err != nil {
		return "", fmt.Errorf("create keyspace %s: the nodes do not agree on the schema: %w", CassandraKeyspace, err)
	}
	return repl, nil
}

// realWorkload is a steady producer and a committing consumer group on the
// real Kafka cluster, so that lag there is a real number too.
type realWorkload struct {
	cancel             context.CancelFunc
	wg                 sync.WaitGroup
	producer, consumer *kgo.Client
}

func startRealWorkload(ctx context.Context, brokers []string) (*realWorkload, error) {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the lab's Kafka: %w", err)
	}
	defer admin.Close()
	err = admin.CreateTopic(RealKafkaTopic, &sarama.TopicDetail{NumPartitions: 6, ReplicationFactor: 3}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return nil, fmt.Errorf("create topic %s: %w", RealKafkaTopic, err)
	}
	w := &realWorkload{}
	base := []kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ClientID("gameday-lab")}
	if w.producer, err = kgo.NewClient(append(base, kgo.DefaultProduceTopic(RealKafkaTopic), kgo.ProducerLinger(5*time.Millisecond))...); err != nil {
		return nil, err
	}
	if w.consumer, err = kgo.NewClient(append(base, kgo.ConsumerGroup(RealKafkaGroup), kgo.ConsumeTopics(RealKafkaTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.AutoCommitInterval(500*time.Millisecond))...); err != nil {
		w.producer.Close()
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(produceEvery)
		defer t.Stop()
		for n := 1; ; n++ {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
				w.producer.TryProduce(wctx, &kgo.Record{Value: []byte("order " + strconv.Itoa(n))}, nil)
			}
		}
	}()
	go func() {
		defer w.wg.Done()
		for wctx.Err() == nil {
			w.consumer.PollFetches(wctx)
		}
	}()
	return w, nil
}

func (w *realWorkload) close() {
	w.cancel()
	w.wg.Wait()
	w.consumer.Close()
	w.producer.Close()
}
