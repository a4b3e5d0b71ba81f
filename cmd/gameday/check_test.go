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
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/gameday-dev/gameday/targets/lab"
)

// closedPort returns a loopback port that refuses connections for the
// whole test: a socket of the test's is bound to it and never listens,
// and since it is bound without SO_REUSEADDR nobody else can bind it.
func closedPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*syscall.SockaddrInet4).Port
}

// startServer runs a server in the foreground of the test on a free
// loopback port, kills it when the test ends, and returns the port once
// that very process listens on it. A port free when chosen can be taken
// before the server binds it (by another test, or another engineer's);
// the server then fails to bind and exits, and a dial would reach the
// other listener, so readiness is the server's own listening socket, and
// a server that exited is started again on another port.
func startServer(t *testing.T, name string, args func(port int) []string) int {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (scripts/deps.sh installs it): %v", name, err)
	}
	var out strings.Builder
	for attempt := 0; attempt < 5; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cmd := exec.Command(path, args(port)...)
		out.Reset()
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		if listensOn(t, cmd.Process.Pid, port, exited) {
			return port
		}
		t.Logf("%s exited (port %d taken?), starting it on another port:\n%s", name, port, &out)
	}
	t.Fatalf("%s exited five times on five ports:\n%s", name, &out)
	return 0
}

// listensOn waits until process pid listens on 127.0.0.1:port, or has
// exited. The limit only stops a hung test.
func listensOn(t *testing.T, pid, port int, exited <-chan struct{}) bool {
	t.Helper()
	local := fmt.Sprintf("0100007F:%04X", port) // /proc/net/tcp's 127.0.0.1:port
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-exited:
			return false
		default:
		}
		if inode := listeningInode(t, local); inode != "" {
			fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
			for _, fd := range fds {
				if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); l == "socket:["+inode+"]" {
					return true
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not listen on port %d within a minute", pid, port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listeningInode returns the inode of the listening TCP socket bound to
// local (as /proc/net/tcp writes it), or "".
func listeningInode(t *testing.T, local string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		// sl local_address rem_address st … inode (field 9); 0A is LISTEN.
		if f := strings.Fields(line); len(f) >= 10 && f[1] == local && f[3] == "0A" {
			return f[9]
		}
	}
	return ""
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
	var c checkCluster
	redisPort := startServer(t, "redis-server", func(port int) []string {
		return []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}
	})
	c.redisAddr = fmt.Sprintf("127.0.0.1:%d", redisPort)
	conf := filepath.Join(dir, "sentinel.conf")
	sentinelPort := startServer(t, "redis-sentinel", func(port int) []string {
		// Sentinel rewrites its file: a fresh one for each start.
		sentinelConf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n", port, dir, redisPort)
		if err := os.WriteFile(conf, []byte(sentinelConf), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{conf}
	})
	c.sentinelAddr = fmt.Sprintf("127.0.0.1:%d", sentinelPort)

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
	t.Setenv("SSH_AUTH_SOCK", "")       // only the inventory's key is offered
	_ = os.MkdirAll("/run/sshd", 0o755) // sshd's privilege-separation directory
	sshPort := startServer(t, "/usr/sbin/sshd", func(port int) []string {
		line := fmt.Sprintf("[127.0.0.1]:%d %s\n", port, strings.Join(strings.Fields(string(pub))[:2], " "))
		if err := os.WriteFile(c.knownHosts, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"-D", "-e", "-f", "/dev/null",
			"-o", "HostKey=" + hostKey, "-o", fmt.Sprintf("ListenAddress=127.0.0.1:%d", port), "-o", "PidFile=none",
			"-o", "AuthorizedKeysFile=" + c.identity + ".pub", "-o", "PermitRootLogin=prohibit-password", "-o", "StrictModes=no"}
	})
	c.sshPort = fmt.Sprint(sshPort)

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
	closed := closedPort(t)
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

// TestStartServerOwnsItsPort: a server whose port someone else took in
// between (here the test's own listener, which answers dials) is not
// taken for ready; it is started again on a port it really listens on.
func TestStartServerOwnsItsPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	var tried []int
	port := startServer(t, "redis-server", func(port int) []string {
		if len(tried) == 0 {
			port = takenPort // as if another process bound it first
		}
		tried = append(tried, port)
		return []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}
	})
	if len(tried) != 2 || tried[0] != takenPort || port != tried[1] || port == takenPort {
		t.Fatalf("ports tried %v, returned %d; want the taken %d, then another", tried, port, takenPort)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "PING\r\n")
	if got, _ := bufio.NewReader(c).ReadString('\n'); got != "+PONG\r\n" {
		t.Fatalf("port %d answered %q, want redis's +PONG", port, got)
	}
}
