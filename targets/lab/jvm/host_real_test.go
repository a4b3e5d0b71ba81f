package jvm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gameday-dev/gameday/internal/hostns"
)

// TestRealKafkaOnNamespaceHost: a broker on a namespace host of its own
// (as `lab up --full --ssh` runs it) binds the host's address and is
// reached from here over the bridge; its log dir is a tmpfs that only the
// host sees; pgrep -f on the host finds its JVM and nothing else; killed
// by pattern and started again by its start script from inside the host
// (as a kill fault's revert does over SSH), it serves again and the node
// knows its new process; and nothing outlives the host.
func TestRealKafkaOnNamespaceHost(t *testing.T) {
	requireReal(t)
	if os.Geteuid() != 0 {
		t.Skip("namespace hosts need root")
	}
	dir := t.TempDir()
	id := fmt.Sprintf("%d", os.Getpid())
	net, err := hostns.NewNetwork("gdjt-"+id+"-hub", "gdjt"+id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Remove() })
	data := filepath.Join(NodeDir(dir, 1), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := hostns.Keygen(filepath.Join(dir, "id"), "t"); err != nil {
		t.Fatal(err)
	}
	h := &hostns.Host{Name: "broker-1", NS: "gdjt-" + id + "-1", Addr: net.Addr(1), Dir: filepath.Join(dir, "host"), OwnPIDs: true,
		Mounts: []hostns.Mount{{Dir: data, SizeMB: 64}}}
	t.Cleanup(func() { h.Kill(); hostns.RemoveNamespace(h.NS) })
	if err := net.AddHost(h, 1); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteEtc("", filepath.Join(dir, "id.pub")); err != nil {
		t.Fatal(err)
	}
	if err := h.StartSSHD(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := StartKafka(ctx, Options{Dir: dir, Nodes: 1, Hosts: []*hostns.Host{h}, TmpfsMB: 64, Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	n := c.Nodes[0]
	if n.Addr != h.Addr {
		t.Fatalf("node address %s, want its host's %s", n.Addr, h.Addr)
	}
	brokers := func() error {
		cfg := sarama.NewConfig()
		cfg.Version = sarama.V3_6_0_0
		cfg.Net.DialTimeout = 2 * time.Second
		admin, err := sarama.NewClusterAdmin(c.Endpoints(), cfg)
		if err != nil {
			return err
		}
		defer admin.Close()
		bs, _, err := admin.DescribeCluster()
		if err == nil && (len(bs) != 1 || !strings.HasPrefix(bs[0].Addr(), h.Addr+":")) {
			err = fmt.Errorf("cluster reports %d brokers (%v), want the one on %s", len(bs), bs, h.Addr)
		}
		return err
	}
	if err := brokers(); err != nil {
		t.Fatal(err)
	}
	if out, err := h.Exec("stat", "-f", "-c", "%T", data); err != nil || strings.TrimSpace(out) != "tmpfs" {
		t.Fatalf("the host's log dir is %q (%v), want its tmpfs", out, err)
	}
	if out, err := h.Exec("ls", data); err != nil || !strings.Contains(out, "meta.properties") {
		t.Fatalf("the host's log dir holds %q (%v): not formatted inside the host", out, err)
	}
	pgrep := func() []string {
		out, _ := h.Exec("pgrep", "-f", "kafka.Kafka")
		return strings.Fields(out)
	}
	if got := pgrep(); len(got) != 1 {
		t.Fatalf("pgrep -f kafka.Kafka on the host finds %v, want the one broker", got)
	}
	old := n.PID()
	if _, err := h.Exec("pkill", "-KILL", "-f", "kafka.Kafka"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); n.PID() != 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the node still reports pid %d after pkill", n.PID())
		}
	}
	if _, err := h.Exec("sh", "-c", "setsid nohup sh -c "+shq(n.StartScript)+" </dev/null >/dev/null 2>&1 &"); err != nil {
		t.Fatal(err)
	}
	var last error
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
		if last = brokers(); last == nil && n.PID() != 0 && n.PID() != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after its start script: pid %d (was %d), brokers: %v", n.PID(), old, last)
		}
	}
	c.Stop()
	h.Kill()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := hostns.Run("ip", "netns", "pids", h.NS)
		if strings.TrimSpace(out) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %s outlived the host", out)
		}
	}
	var st syscall.Statfs_t
	if syscall.Statfs(data, &st) == nil && st.Blocks*uint64(st.Bsize) == 64<<20 {
		t.Fatalf("the host's tmpfs is mounted in the machine's view")
	}
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
