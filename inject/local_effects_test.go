package inject

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: network and mount namespaces")
	}
}

// netns makes a throwaway network namespace with lo up.
func netns(t *testing.T) string {
	t.Helper()
	name := "gdinj" + newID()[:6]
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	return name
}

func TestGuardRevertsWhenTheTTLRunsOut(t *testing.T) {
	pid, pidfile := sleeper(t)
	rec := timeline.NewRecorder()
	sub := rec.Subscribe(16)
	m, err := NewManager(localInventory(), rec, filepath.Join(t.TempDir(), "ledger.jsonl"), WithRunner(LocalRunner{}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Arm(context.Background(), Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": pidfile}, TTL: 2 * time.Second})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	if st := procStateOf(t, pid); st != "T" {
		t.Fatalf("process state %q after arming, want T", st)
	}
	// Nobody reverts: the guard on the host must.
	deadline := time.Now().Add(6 * time.Second)
	for procStateOf(t, pid) == "T" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if st := procStateOf(t, pid); st == "T" {
		t.Fatalf("process still stopped 6s after a 2s TTL")
	}
	// The ledger learns from the guard's marker.
	for time.Now().Before(a.Deadline.Add(time.Second)) {
		time.Sleep(100 * time.Millisecond)
	}
	// Reverting a fault its guard already reverted says so.
	if got, err := m.Revert(context.Background(), a.ID); err != nil || got.State != StateExpired {
		t.Errorf("Revert after the guard fired = %s, %v; want expired", got.State, err)
	}
	list, err := m.List(false)
	if err != nil || len(list) != 1 || list[0].State != StateExpired {
		t.Fatalf("List after the guard fired = %+v, %v; want one expired fault", list, err)
	}
	if left := guardFiles(t, a.ID); len(left) > 0 {
		t.Errorf("expired fault left guard state files: %v", left)
	}
	rec.Sync()
	var kinds []timeline.Kind
	for len(sub.C()) > 0 {
		e := <-sub.C()
		kinds = append(kinds, e.Kind)
		if e.String("fault_id") != a.ID || e.String("kind") != "pause" || e.String("ttl") != "2s" {
			t.Errorf("event %s lacks fault data: %+v", e.Kind, e.Data)
		}
	}
	want := []timeline.Kind{timeline.FaultArming, timeline.FaultArmed, timeline.FaultExpired}
	if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(want), ",") {
		t.Errorf("events = %v, want %v", kinds, want)
	}
}

func kindStrings(ks []timeline.Kind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	return out
}

func TestNetemRefusesClearlyAndChangesNothing(t *testing.T) {
	needRoot(t)
	ns := netns(t)
	qdiscs := func() string {
		out, _ := exec.Command("ip", "netns", "exec", ns, "tc", "qdisc", "show").CombinedOutput()
		return string(out)
	}
	before := qdiscs()
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	m, err := NewManager(localInventory(), nil, path, WithRunner(LocalRunner{Netns: ns}))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"latency", "loss"} {
		_, err = m.Arm(context.Background(), Request{Kind: kind, Hosts: []string{"local"}, Params: map[string]string{"dev": "lo"}, TTL: time.Minute})
		want := "host local: this host's kernel has no sch_netem (tc netem: Specified qdisc kind is unknown); install kernel modules (linux-modules-extra) or use the lab's Toxiproxy latency"
		if err == nil {
			if kernelHasNetem() {
				t.Skip("this kernel has sch_netem: the refusal cannot be shown here")
			}
			t.Fatalf("%s armed on a kernel without sch_netem", kind)
		}
		if err.Error() != want {
			t.Errorf("%s error:\n%s\nwant:\n%s", kind, err, want)
		}
	}
	if after := qdiscs(); after != before {
		t.Errorf("tc qdisc show changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	out, _ := exec.Command("ip", "netns", "exec", ns, "ip", "-br", "link").CombinedOutput()
	if strings.Contains(string(out), "gdp") {
		t.Errorf("the detection left its probe device behind:\n%s", out)
	}
	active, _ := m.List(true)
	if len(active) != 0 {
		t.Errorf("refused faults are listed as in place: %+v", active)
	}
}

func kernelHasNetem() bool {
	_, err := os.Stat("/sys/module/sch_netem")
	return err == nil
}

func TestBandwidthTbfLeavesAForeignQdiscAlone(t *testing.T) {
	needRoot(t)
	ns := netns(t)
	sh := func(args ...string) string {
		out, _ := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
		return string(out)
	}
	m, err := NewManager(localInventory(), nil, filepath.Join(t.TempDir(), "ledger.jsonl"), WithRunner(LocalRunner{Netns: ns}))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Kind: "bandwidth", Hosts: []string{"local"}, Params: map[string]string{"dev": "lo", "rate": "1mbit"}, TTL: time.Minute}
	before := sh("tc", "qdisc", "show", "dev", "lo")
	a, err := m.Arm(context.Background(), req)
	if err != nil {
		t.Fatalf("Arm bandwidth: %v", err)
	}
	root, _ := qdiscHandle(a.ID)
	if got := sh("tc", "qdisc", "show", "dev", "lo"); !strings.Contains(got, "qdisc tbf "+root+": root") {
		t.Errorf("no tbf %s: root on lo after arming:\n%s", root, got)
	}
	if _, err := m.Revert(context.Background(), a.ID); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if got := sh("tc", "qdisc", "show", "dev", "lo"); got != before {
		t.Errorf("qdiscs after revert:\n%s\nwant:\n%s", got, before)
	}
	// An operator's own root qdisc is refused, not replaced.
	sh("tc", "qdisc", "add", "dev", "lo", "root", "handle", "77:", "tbf", "rate", "10mbit", "burst", "32kbit", "latency", "50ms")
	mine := sh("tc", "qdisc", "show", "dev", "lo")
	_, err = m.Arm(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "already has a root qdisc") {
		t.Errorf("Arm over a foreign root qdisc: %v, want a refusal", err)
	}
	if got := sh("tc", "qdisc", "show", "dev", "lo"); got != mine {
		t.Errorf("foreign qdisc changed:\n%s\nwant:\n%s", got, mine)
	}
}

func TestBlastRadiusRefusalNamesTheServiceAndCounts(t *testing.T) {
	m, err := NewManager(planInventory(), nil, filepath.Join(t.TempDir(), "ledger.jsonl"), WithRunner(LocalRunner{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Arm(context.Background(), Request{Kind: "partition", Hosts: []string{"db1", "db2"}})
	if !errors.Is(err, ErrNeedsConfirm) {
		t.Fatalf("Arm of 2 of 3 = %v, want ErrNeedsConfirm", err)
	}
	want := `refused: the fault takes down 2 of 3 cassandra service "main": a majority; confirm with --i-know`
	if err.Error() != want {
		t.Errorf("refusal = %q, want %q", err, want)
	}
	all, _ := m.List(false)
	if len(all) != 0 {
		t.Errorf("a refused fault reached the ledger: %+v", all)
	}
}
