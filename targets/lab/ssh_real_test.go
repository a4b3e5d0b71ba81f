package lab_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
)

// The seed's scenarios through the production path: the full lab's Kafka
// brokers and Cassandra nodes on namespace hosts of their own (`lab up
// --full --ssh`), listed as ordinary SSH hosts, every fault armed, guarded,
// verified and reverted by the SSH executor. Each scenario is judged
// against the baseline the lab measured at start, and ends with every
// node's state (iptables, nft, tc, mounts, gameday's files, the node's
// own files) equal to its state at start. Then, for each scenario's
// fault, gameday is SIGKILLed in the middle of arming it and `gameday
// revert --all` must bring every node back to that state.

// sshWorld is a world on an SSH full lab.
type sshWorld struct {
	*world
	// at is each real node's state at start.
	at  map[string]string
	cli *cli
}

func TestRealSSHScenarios(t *testing.T) {
	requireReal(t)
	// The Redis part stays as it is (lab nodes): its master kill is the
	// API path's scenario, so this one test covers every seed scenario.
	w := &sshWorld{world: startWorld(t, lab.Options{Full: true, SSH: true, NoKfake: true, DataTmpfsMB: 96})}
	w.cli = newCLI(t, w.l.InventoryPath())
	if len(w.realHosts()) != 6 {
		t.Fatalf("the lab lists %d real nodes, want 3 brokers and 3 Cassandra nodes", len(w.realHosts()))
	}
	for _, h := range w.realHosts() {
		if h.Lab != nil || h.SSH.IdentityFile == "" || !slices.Contains(h.Tags, "ssh") {
			t.Fatalf("host %s is not an ordinary SSH host of the lab: %+v", h.Name, h)
		}
	}
	w.settle()
	w.at = map[string]string{}
	for _, h := range w.realHosts() {
		w.at[h.Name] = w.snapshot(h.Name)
	}

	t.Run("KafkaBrokerUnreachable", func(t *testing.T) { sshBrokerCut(t, w) })
	t.Run("KafkaDiskFull", func(t *testing.T) { sshDiskFull(t, w) })
	t.Run("KafkaKilledByPattern", func(t *testing.T) { sshKillByPattern(t, w) })
	t.Run("CassandraQuorumDuringPartition", func(t *testing.T) { sshCassandraCut(t, w) })
	t.Run("CassandraClockDrift", func(t *testing.T) { sshClockDrift(t, w) })
	t.Run("RedisMasterKill", func(t *testing.T) { redisMasterKill(t, w.world) })
	t.Run("Kill9MidArm", func(t *testing.T) { sshCrashMidArm(t, w) })
}

// realHosts are the lab's real (JVM) nodes: on an SSH lab, its SSH hosts.
func (w *sshWorld) realHosts() []targets.Host {
	var out []targets.Host
	for _, h := range w.inv.Hosts {
		if slices.Contains(h.Tags, "real") {
			out = append(out, h)
		}
	}
	return out
}

// snapshot is node name's state as gameday could touch it, plus its mount
// table and the node's own files a fault changes (disk-fill's filler,
// the libfaketime control file).
func (w *sshWorld) snapshot(name string) string {
	w.t.Helper()
	h := w.l.SSHHost(name)
	files, ok := w.l.RealNodeFiles(name)
	if h == nil || !ok {
		w.t.Fatalf("%s is not a real node on a host of its own", name)
	}
	extra := [][]string{
		{"findmnt", "-rn", "-o", "TARGET,FSTYPE,OPTIONS"},
		{"find", files.DataDir, "-maxdepth", "1", "-name", ".gameday*"},
	}
	if files.FaketimeFile != "" {
		extra = append(extra, []string{"cat", files.FaketimeFile})
	}
	return h.Snapshot(extra...)
}

// sameAsAtStart asserts that every real node is in its state at start;
// a revert may take a moment to finish on the host, so it waits a little.
func (w *sshWorld) sameAsAtStart(t *testing.T, after string) {
	t.Helper()
	for _, h := range w.realHosts() {
		var now string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if now = w.snapshot(h.Name); now == w.at[h.Name] || time.Now().After(deadline) {
				break
			}
		}
		if now != w.at[h.Name] {
			t.Errorf("%s: %s differs from its state at start:\n--- at start\n%s\n--- now\n%s", after, h.Name, w.at[h.Name], now)
		}
	}
}

// sshArm arms through the world's fault manager (the SSH executor).
func (w *sshWorld) sshArm(t *testing.T, kind, host string, params map[string]string, iKnow bool) inject.Armed {
	t.Helper()
	w.t = t
	a := w.arm(kind, []string{host}, params, iKnow)
	if len(a.Request.Hosts) != 1 {
		t.Fatalf("armed on %v", a.Request.Hosts)
	}
	return a
}

// sshBrokerCut is the API path's scenario (kafkaBrokerUnreachable) on an
// SSH host, and checks that the cut keeps this machine out too: a full
// partition spares only gameday's own SSH.
func sshBrokerCut(t *testing.T, w *sshWorld) {
	addr := w.hostAddr("broker-2") + ":9092"
	kafkaBrokerUnreachable(t, w.world, func() {
		if err := dial(addr); err == nil {
			t.Fatal("broker-2 still accepts connections from this machine with a full partition armed")
		}
	})
	if err := dial(addr); err != nil {
		t.Errorf("broker-2 unreachable after the revert: %v", err)
	}
	w.sameAsAtStart(t, "after the broker partition's revert")
}

func sshDiskFull(t *testing.T, w *sshWorld) {
	w.t = t
	// Fill the broker that leads the canary partition, so that the
	// kafka.latency probe's own produce is what fails.
	host := w.canaryLeaderHost(t)
	files, _ := w.l.RealNodeFiles(host)
	a := w.sshArm(t, "disk-fill", host, map[string]string{"path": files.DataDir, "free": "0"}, false)
	armed := time.Now()
	// Produce errors, not a slow window: on a loaded machine a latency
	// breach comes without any fault.
	bad := w.waitReading("kafka.latency", lab.RealKafkaService, armed, 90*time.Second, "produce errors on the full broker",
		func(r probes.Reading) bool { return r.Errors > 0 })
	figure(t, "over SSH: %s log dir (its host's tmpfs) full: kafka.latency reported %s (%d errors: %v) after %s", host, bad.Status, bad.Errors, bad.ErrorClasses, secs(bad.Time.Sub(armed)))
	// A broker whose only log dir failed shuts itself down. Wait for that
	// before the revert and the start: a start sent while it is still
	// shutting down finds it running, and then it is gone for good.
	down := w.waitJVM(t, host, false, 2*time.Minute)
	figure(t, "over SSH: %s shut itself down %s after the fill (its only log dir failed)", host, secs(down.Sub(armed)))
	healed := w.revert(a)
	// Bring it back as an operator would: its start script, over SSH.
	w.startOverSSH(t, host)
	back := w.waitReading("kafka.latency", lab.RealKafkaService, time.Now(), 3*time.Minute, "produce ok after revert and restart",
		func(r probes.Reading) bool { return r.Status == probes.StatusOK && r.Errors == 0 && r.Count > 0 })
	figure(t, "over SSH: revert and restart of %s (its start script over SSH): kafka.latency ok again %s after the revert", host, secs(back.Time.Sub(healed)))
	w.waitBrokers(t, 3)
	w.sameAsAtStart(t, "after the disk-fill's revert")
}

func sshKillByPattern(t *testing.T, w *sshWorld) {
	w.t = t
	files, _ := w.l.RealNodeFiles("broker-3")
	a := w.sshArm(t, "kill", "broker-3", map[string]string{"pattern": "kafka.Kafka", "start": files.StartScript}, false)
	armed := time.Now()
	if out, _ := w.l.SSHHost("broker-3").Exec("pgrep", "-f", "kafka.Kafka"); strings.TrimSpace(out) != "" {
		t.Fatalf("broker-3's JVM still runs after kill by pattern: %s", out)
	}
	for _, other := range []string{"broker-1", "broker-2"} {
		if out, _ := w.l.SSHHost(other).Exec("pgrep", "-f", "kafka.Kafka"); strings.TrimSpace(out) == "" {
			t.Fatalf("kill by pattern on broker-3 killed %s's JVM too", other)
		}
	}
	ok := w.waitReading("kafka.lag", lab.RealKafkaService, armed.Add(3*time.Second), 2*time.Minute, "the group consuming with a broker killed",
		func(r probes.Reading) bool { return r.Status != probes.StatusError && r.Value <= w.base.lagBound() })
	figure(t, "over SSH: broker-3's JVM killed by pattern: lag within %.0f (baseline peak %.0f) %s after the kill", w.base.lagBound(), w.base.lag, secs(ok.Time.Sub(armed)))
	reverted := w.revert(a) // the kind's start command, over SSH
	registered := w.waitBrokers(t, 3)
	figure(t, "over SSH: revert (its start script run over SSH): broker-3 registered again %s after the revert", secs(registered.Sub(reverted)))
	w.sameAsAtStart(t, "after the kill's revert")
}

// sshCassandraCut is the API path's scenario (cassandraPartition) on SSH
// hosts: one node cut, then two, judged the same way.
func sshCassandraCut(t *testing.T, w *sshWorld) {
	cassandraPartition(t, w.world)
	w.sameAsAtStart(t, "after the Cassandra partitions' revert")
}

func sshClockDrift(t *testing.T, w *sshWorld) {
	w.t = t
	node := fmt.Sprintf("cassandra-%d", lab.ClockDriftNode)
	files, _ := w.l.RealNodeFiles(node)
	if files.FaketimeFile == "" {
		t.Fatalf("%s does not run under libfaketime", node)
	}
	endpoint := w.hostAddr(node) + ":9042"
	w.waitReading("cassandra.integrity", lab.CassandraService, time.Now(), 2*time.Minute, "no lost write before the drift",
		func(r probes.Reading) bool { return r.Status == probes.StatusOK && r.Value == 0 && r.Count > 2 })
	// No schema change while a clock is drifted (see cassandraClockDrift).
	createSkewTable(t, w.inv)
	armed := time.Now()
	a := w.sshArm(t, "clock-drift", node, map[string]string{"offset": "-60s", "faketime_file": files.FaketimeFile}, false)
	lost := w.waitReading("cassandra.integrity", lab.CassandraService, armed, 2*time.Minute, "lost writes with a drifted coordinator",
		func(r probes.Reading) bool { return r.Value > 0 })
	figure(t, "over SSH: %s clock -60 s (its libfaketime file written over SSH): cassandra.integrity saw %.0f lost writes (%s) %s after the arm began", node, lost.Value, lost.Detail, secs(lost.Time.Sub(armed)))
	skewed := waitSkew(t, endpoint, -60*time.Second, 3*time.Minute)
	figure(t, "over SSH: %s clock -60 s: its write timestamps 60 s behind ours (±5 s) %s after the arm began", node, secs(skewed.Sub(armed)))
	healed := w.revert(a)
	back := waitSkew(t, endpoint, 0, 3*time.Minute)
	figure(t, "over SSH: revert: %s's write timestamps back within 5 s of ours %s after the revert", node, secs(back.Sub(healed)))
	ok := w.waitReading("cassandra.integrity", lab.CassandraService, back, 2*time.Minute, "no lost write after revert",
		func(r probes.Reading) bool { return r.Status == probes.StatusOK && r.Value == 0 && r.Count > 2 })
	figure(t, "over SSH: revert: no lost write in a full window %s after the clock was restored", secs(ok.Time.Sub(healed)))
	w.sameAsAtStart(t, "after the clock drift's revert")
}

// sshCrashMidArm: for each scenario's fault, gameday (the CLI, as a user
// runs it) is SIGKILLed in the middle of arming — the fault's first step
// has run on the host, nothing has verified it — then `gameday revert
// --all` brings every node back to its state at start, with no fault left
// active in the ledger.
func sshCrashMidArm(t *testing.T, w *sshWorld) {
	w.t = t
	brokerFiles, _ := w.l.RealNodeFiles("broker-3")
	leader := w.canaryLeaderHost(t)
	leaderFiles, _ := w.l.RealNodeFiles(leader)
	clock := fmt.Sprintf("cassandra-%d", lab.ClockDriftNode)
	clockFiles, _ := w.l.RealNodeFiles(clock)
	for _, c := range []struct {
		name, kind, host string
		params           []string
		restart          bool // the fault stops the node's JVM for good
	}{
		{"partition broker", "partition", "broker-2", nil, false},
		{"disk-fill broker", "disk-fill", leader, []string{"path=" + leaderFiles.DataDir, "free=0"}, true},
		{"kill broker by pattern", "kill", "broker-3", []string{"pattern=kafka.Kafka", "start=" + brokerFiles.StartScript}, false},
		{"partition cassandra", "partition", "cassandra-2", nil, false},
		{"clock-drift cassandra", "clock-drift", clock, []string{"offset=-60s", "faketime_file=" + clockFiles.FaketimeFile}, false},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			w.t = t
			args := []string{"inject", c.kind, "--host", c.host, "--ttl", "5m"}
			for _, p := range c.params {
				args = append(args, "--param", p)
			}
			err := w.cli.run(t, []string{inject.CrashpointEnv + "=3"}, args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("gameday %s was to be SIGKILLed mid-arm: %v", strings.Join(args, " "), err)
			}
			if now := w.snapshot(c.host); now == w.at[c.host] {
				t.Fatalf("%s looks untouched after gameday died mid-arm: the crash came before the fault's first step, nothing was tested", c.host)
			}
			if c.restart {
				// The full broker shuts itself down; a start sent before
				// it has would find it running and do nothing.
				w.waitJVM(t, c.host, false, 2*time.Minute)
			}
			t0 := time.Now()
			if err := w.cli.run(t, nil, "revert", "--all"); err != nil {
				t.Fatalf("gameday revert --all: %v", err)
			}
			figure(t, "over SSH: %s: gameday SIGKILLed mid-arm, then `gameday revert --all` took %s", c.name, secs(time.Since(t0)))
			if active := w.cli.active(t); len(active) != 0 {
				t.Errorf("faults still active after revert --all: %+v", active)
			}
			if c.restart {
				w.startOverSSH(t, c.host)
			}
			if c.kind == "kill" || c.restart {
				w.waitBrokers(t, 3)
			}
			w.sameAsAtStart(t, "after "+c.name+" killed mid-arm and revert --all")
		})
	}
}

// hostAddr is node name's address.
func (w *sshWorld) hostAddr(name string) string {
	h, ok := w.inv.Host(name)
	if !ok {
		w.t.Fatalf("no host %s", name)
	}
	return h.Address
}

// canaryLeaderHost names the broker leading the kafka.latency canary.
func (w *sshWorld) canaryLeaderHost(t *testing.T) string {
	t.Helper()
	kafka := w.inv.Services.Kafka[slices.IndexFunc(w.inv.Services.Kafka, func(k targets.Kafka) bool { return k.Name == lab.RealKafkaService })]
	leader := canaryLeader(t, kafka)
	for _, h := range w.inv.Hosts {
		if strings.HasPrefix(leader, h.Address+":") {
			return h.Name
		}
	}
	t.Fatalf("no host has the canary leader's address %s", leader)
	return ""
}

// startOverSSH starts a stopped broker's JVM as an operator would: its
// start script, over SSH, as root with the lab's key.
func (w *sshWorld) startOverSSH(t *testing.T, name string) {
	t.Helper()
	h, _ := w.inv.Host(name)
	files, _ := w.l.RealNodeFiles(name)
	// [k]afka: the pattern must not match this very shell, whose command
	// line holds it.
	script := "pgrep -f '[k]afka[.]Kafka' >/dev/null || setsid nohup sh " + inject.Quote(files.StartScript) + " </dev/null >/dev/null 2>&1 &"
	out, err := exec.Command("ssh", "-i", h.SSH.IdentityFile, "-o", "UserKnownHostsFile="+h.SSH.KnownHosts, "-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "root@"+h.Address, script).CombinedOutput()
	if err != nil {
		t.Fatalf("start %s over SSH: %v: %s", name, err, out)
	}
}

// waitJVM waits until broker name's JVM runs (or, with !running, is
// gone) on its host, and returns when it did.
func (w *sshWorld) waitJVM(t *testing.T, name string, running bool, within time.Duration) time.Time {
	t.Helper()
	h := w.l.SSHHost(name)
	var out string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		out, _ = h.Exec("pgrep", "-f", "kafka.Kafka")
		if (strings.TrimSpace(out) != "") == running {
			return time.Now()
		}
	}
	t.Fatalf("%s: kafka.Kafka running=%v not seen within %s (pgrep: %q)", name, running, within, out)
	return time.Time{}
}

// waitBrokers waits until the Kafka cluster reports n brokers, and
// returns when it did.
func (w *sshWorld) waitBrokers(t *testing.T, n int) time.Time {
	t.Helper()
	kafka := w.inv.Services.Kafka[slices.IndexFunc(w.inv.Services.Kafka, func(k targets.Kafka) bool { return k.Name == lab.RealKafkaService })]
	var last error
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		last = func() error {
			cfg := sarama.NewConfig()
			cfg.Version = sarama.V3_6_0_0
			cfg.Net.DialTimeout = 2 * time.Second
			admin, err := sarama.NewClusterAdmin(kafka.Brokers, cfg)
			if err != nil {
				return err
			}
			defer admin.Close()
			bs, _, err := admin.DescribeCluster()
			if err == nil && len(bs) != n {
				var addrs []string
				for _, b := range bs {
					addrs = append(addrs, b.Addr())
				}
				err = fmt.Errorf("%d brokers registered (%s)", len(bs), strings.Join(addrs, ", "))
			}
			return err
		}()
		if last == nil {
			return time.Now()
		}
	}
	var jvms []string
	for _, name := range []string{"broker-1", "broker-2", "broker-3"} {
		out, _ := w.l.SSHHost(name).Exec("pgrep", "-f", "kafka.Kafka")
		jvms = append(jvms, fmt.Sprintf("%s pids %q", name, strings.Fields(out)))
	}
	t.Fatalf("the Kafka cluster did not report %d brokers within 3 min: %v; JVMs: %s", n, last, strings.Join(jvms, ", "))
	return time.Time{}
}

// cli runs the gameday binary against one inventory with a state dir of
// its own, as a user would.
type cli struct {
	bin, inv, state string
}

func newCLI(t *testing.T, inv string) *cli {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "gameday")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/gameday-dev/gameday/cmd/gameday").CombinedOutput(); err != nil {
		t.Fatalf("build gameday: %v\n%s", err, out)
	}
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	return &cli{bin: bin, inv: inv, state: state}
}

func (c *cli) run(t *testing.T, env []string, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append(args, "-i", c.inv)...)
	cmd.Env = append(append(os.Environ(), "XDG_STATE_HOME="+c.state), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("gameday %s:\n%s", strings.Join(args, " "), out)
	return err
}

// active lists the faults the CLI's ledger still holds active.
func (c *cli) active(t *testing.T) []inject.Armed {
	t.Helper()
	m, err := inject.NewManager(nil, nil, filepath.Join(c.state, "gameday", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	active, err := m.List(true)
	if err != nil {
		t.Fatal(err)
	}
	return active
}

// dial tries a TCP connection with a short timeout.
func dial(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
	}
	return err
}
