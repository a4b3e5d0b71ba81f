package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/gameday-dev/gameday/targets/lab"
)

// freePort returns a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs a server in the foreground of the test and kills it
// when the test ends, then waits until addr accepts connections.
func startProcess(t *testing.T, addr string, name string, args ...string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (scripts/deps.sh installs it): %v", name, err)
	}
	cmd := exec.Command(path, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %v\n%s", name, addr, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkCluster is the real servers a check test reaches.
type checkCluster struct {
	redisAddr, sentinelAddr, sshPort string
	identity, knownHosts             string // the client key and the sshd's known_hosts line
	kafka                            []string
}

func startCheckCluster(t *testing.T) checkCluster {
	t.Helper()
	dir := t.TempDir()
	redisPort, sentinelPort, sshPort := freePort(t), freePort(t), freePort(t)
	c := checkCluster{
		redisAddr:    fmt.Sprintf("127.0.0.1:%d", redisPort),
		sentinelAddr: fmt.Sprintf("127.0.0.1:%d", sentinelPort),
		sshPort:      fmt.Sprint(sshPort),
	}
	startProcess(t, c.redisAddr, "redis-server", "--port", fmt.Sprint(redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	conf := filepath.Join(dir, "sentinel.conf")
	sentinelConf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n", sentinelPort, dir, redisPort)
	if err := os.WriteFile(conf, []byte(sentinelConf), 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, c.sentinelAddr, "redis-sentinel", conf)

	// A real sshd on loopback that root logs in to with a key of the
	// test's: check logs in, as arming would.
	hostKey := filepath.Join(dir, "host_key")
	c.identity = filepath.Join(dir, "id_ed25519")
	for _, k := range []string{hostKey, c.identity} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	c.knownHosts = filepath.Join(dir, "known_hosts")
	line := fmt.Sprintf("[127.0.0.1]:%s %s\n", c.sshPort, strings.Join(strings.Fields(string(pub))[:2], " "))
	if err := os.WriteFile(c.knownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", "")       // only the inventory's key is offered
	_ = os.MkdirAll("/run/sshd", 0o755) // sshd's privilege-separation directory
	startProcess(t, "127.0.0.1:"+c.sshPort, "/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null",
		"-o", "HostKey="+hostKey, "-o", "ListenAddress=127.0.0.1:"+c.sshPort, "-o", "PidFile=none",
		"-o", "AuthorizedKeysFile="+c.identity+".pub", "-o", "PermitRootLogin=prohibit-password", "-o", "StrictModes=no")

	k, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	c.kafka = k.ListenAddrs()
	return c
}

// inventory writes an inventory for the cluster plus extra YAML lines.
func (c checkCluster) inventory(t *testing.T, extraHosts, extraRedis, extraServices string) string {
	t.Helper()
	yaml := fmt.Sprintf(`name: check-test
hosts:
  - name: box
    address: 127.0.0.1
    ssh: {port: %s, user: root, identity_file: %s, known_hosts: %s}
  - name: lab-redis
    lab: {kind: redis, pid: %d, listen: %s}
%s
services:
  redis:
    - name: cache
      hosts: [box]
      sentinels: [%s]
      master: mymaster
%s  kafka:
    - name: events
      brokers: [%s]
      topics: [orders]
      groups: [billing]
%s`, c.sshPort, c.identity, c.knownHosts, os.Getpid(), c.redisAddr, extraHosts, c.sentinelAddr, extraRedis, strings.Join(c.kafka, ", "), extraServices)
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tableRows parses the readiness table into item+kind → status, detail.
func tableRows(t *testing.T, out string) map[string][2]string {
	t.Helper()
	rows := map[string][2]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue // summary line
		}
		// item, kind (possibly two words), address, status, latency, detail…
		for i := 2; i < len(f); i++ {
			if f[i] == "ok" || f[i] == "FAIL" {
				rows[f[0]+" "+strings.Join(f[1:i-1], " ")] = [2]string{f[i], strings.Join(f[i+2:], " ")}
				break
			}
		}
	}
	return rows
}

func TestCheckAllReachable(t *testing.T) {
	c := startCheckCluster(t)
	path := c.inventory(t, "", "", "")
	io, _, out, errOut := testStreams()
	code := run([]string{"check", "-i", path, "--timeout", "5s"}, io)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	rows := tableRows(t, out.String())
	want := map[string]string{
		"redis/cache sentinel":     "master mymaster at " + c.redisAddr,
		"redis/cache redis master": "PONG",
		"kafka/events kafka":       "1 broker, 1/1 topics, not yet listed: billing",
		"box ssh login":            "logged in as root; runs scripts as root; has the tools of every fault kind",
		"lab-redis lab redis":      fmt.Sprintf("pid %d alive, listening", os.Getpid()),
	}
	for key, detail := range want {
		got, ok := rows[key]
		if !ok {
			t.Errorf("no row %q in\n%s", key, out)
			continue
		}
		if got[0] != "ok" || !strings.HasPrefix(got[1], detail) {
			t.Errorf("row %q = %v, want ok with detail %q", key, got, detail)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("got %d rows, want %d:\n%s", len(rows), len(want), out)
	}
	if !strings.HasSuffix(out.String(), "all 5 ready\n") {
		t.Errorf("missing summary line:\n%s", out)
	}
}

func TestCheckUnreachableFails(t *testing.T) {
	c := startCheckCluster(t)
	closed := freePort(t)
	path := c.inventory(t,
		fmt.Sprintf("  - name: dead-lab\n    lab: {kind: sentinel, listen: 127.0.0.1:%d}\n", closed),
		fmt.Sprintf("    - name: gone\n      sentinels: [127.0.0.1:%d]\n      master: mymaster\n", closed),
		fmt.Sprintf("  cassandra:\n    - name: ledger\n      contact_points: [127.0.0.1:%d]\n      keyspace: gameday\n", closed))
	io, _, out, errOut := testStreams()
	start := time.Now()
	code := run([]string{"check", "-i", path, "--timeout", "2s", "--json"}, io)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// The per-item timeout bounds the whole check (items run in parallel);
	// the margin is generous because this is about not hanging, not speed.
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("check took %s with a 2s per-item timeout", el)
	}
	status := map[string]string{}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	for dec.More() {
		var row checkRow
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("bad JSON line: %v\n%s", err, out)
		}
		status[row.Item] = row.Status
		if row.Status == "FAIL" && row.Detail == "" {
			t.Errorf("FAIL row %s has no detail", row.Item)
		}
	}
	for item, want := range map[string]string{"cassandra/ledger": "FAIL", "dead-lab": "FAIL", "redis/gone": "FAIL", "box": "ok", "kafka/events": "ok", "redis/cache": "ok"} {
		if status[item] != want {
			t.Errorf("%s: status %q, want %q (all: %v)", item, status[item], want, status)
		}
	}
}

func TestCheckBrokenInventory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(path, []byte("hosts:\n  - name: a\n    adress: 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, out, errOut := testStreams()
	code := run([]string{"check", "-i", path}, io)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want 2", code)
	}
	want := path + `:3:5: hosts[0].adress: unknown field; did you mean "address"?` + "\n"
	if errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut.String(), want)
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", out)
	}
}

func TestCheckMissingInventory(t *testing.T) {
	io, _, _, errOut := testStreams()
	code := run([]string{"check", "-i", filepath.Join(t.TempDir(), "none.yaml")}, io)
	if code != ExitBadInput || !strings.Contains(errOut.String(), "no such file or directory") {
		t.Fatalf("exit %d, stderr %q; want 2 and the OS error", code, errOut)
	}
}

func TestCheckFlags(t *testing.T) {
	tests := map[string]struct {
		args []string
		want CheckOptions
	}{
		"defaults": {[]string{"-i", "inv.yaml"}, CheckOptions{Inventory: "inv.yaml", Timeout: 3 * time.Second}},
		"all":      {[]string{"--inventory", "x.yaml", "--timeout", "500ms", "--json"}, CheckOptions{Inventory: "x.yaml", Timeout: 500 * time.Millisecond, JSON: true}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			io, _, _, _ := testStreams()
			var got *CheckOptions
			cmd := NewCmdCheck(io, func(o *CheckOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			if err := cmd.ExecuteContext(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got.Inventory != tc.want.Inventory || got.Timeout != tc.want.Timeout || got.JSON != tc.want.JSON {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
	io, _, _, _ := testStreams()
	cmd := NewCmdCheck(io, func(*CheckOptions) error { return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), `"inventory" not set`) {
		t.Errorf("missing -i: err = %v", err)
	}
}

func TestCheckBadTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(path, []byte("hosts:\n  - {name: a, address: 127.0.0.1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, out, errOut := testStreams()
	code := run([]string{"check", "-i", path, "--timeout", "0s"}, io)
	if code != ExitBadInput || errOut.String() != "gameday: --timeout must be positive, got 0s\n" || out.Len() != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %q; want 2 and one sentence", code, errOut, out)
	}
}

// TestCheckLabInventory runs check on the inventory `gameday lab up`
// writes, against the running lab: the generated file must validate and
// every node must be reachable.
func TestCheckLabInventory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Stop() })
	io, _, out, errOut := testStreams()
	code := run([]string{"check", "-i", l.InventoryPath(), "--timeout", "5s"}, io)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	rows := tableRows(t, out.String())
	for _, key := range []string{"redis-1 lab redis", "sentinel-3 lab sentinel", "kafka-1 lab kafka", "lab lab control"} {
		if rows[key][0] != "ok" {
			t.Errorf("row %q = %v, want ok\n%s", key, rows[key], out)
		}
	}
	// The lab serves no Toxiproxy API unless asked (--toxiproxy-api).
	if r, ok := rows["lab toxiproxy"]; ok {
		t.Errorf("row lab toxiproxy = %v; the lab was not asked to serve that API", r)
	}
}
