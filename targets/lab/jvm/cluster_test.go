package jvm

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestNewNodeAndStopOnError: a node's shared fields come from its index
// and options, and a start that fails half-way stops what it made.
func TestNewNodeAndStopOnError(t *testing.T) {
	o := Options{Dir: t.TempDir(), Subnet: "127.0.77", Cgroup: "gameday-test"}
	c := &Cluster{}
	n, dir, err := c.newNode(o, 2, "kafka", KafkaPort)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{dir, n.Name, n.Addr, n.Port, n.DataDir, n.Cgroup}
	want := []any{NodeDir(o.Dir, 2), "kafka-2", "127.0.77.2", KafkaPort, filepath.Join(o.Dir, "n2", "data"), "gameday-test/n2"}
	if !slices.Equal(got, want) {
		t.Fatalf("newNode: dir, name, addr, port, data dir, cgroup = %v, want %v", got, want)
	}
	if _, err := os.Stat(n.DataDir); err != nil {
		t.Fatalf("data dir: %v", err)
	}
	n.argv = []string{"true"}
	if err := c.add(n, dir); err != nil || len(c.Nodes) != 1 {
		t.Fatalf("add: %v, %d nodes", err, len(c.Nodes))
	}
	c.mounts = []string{filepath.Join(o.Dir, "not-mounted")}
	failed := errors.New("boom")
	c.stopOnError(&failed)
	if c.mounts != nil {
		t.Fatal("stopOnError did not stop the cluster")
	}
}
