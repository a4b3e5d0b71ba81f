package targets

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// loopbackPort returns a port nothing listens on right now.
func loopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serve runs a real server binary for the test's duration and waits until
// it accepts connections on port.
func serve(t *testing.T, port int, bin string, args ...string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, args...)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s (scripts/deps.sh installs it): %v", bin, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s never listened on %s:\n%s", bin, addr, log.String())
		}
	}
}

// redisWithSentinel starts a redis-server and a Sentinel monitoring it as
// "mymaster"; it returns their addresses.
func redisWithSentinel(t *testing.T) (redisAddr, sentinelAddr string) {
	t.Helper()
	dir := t.TempDir()
	rp, sp := loopbackPort(t), loopbackPort(t)
	redisAddr = serve(t, rp, "redis-server", "--port", fmt.Sprint(rp), "--bind", "127.0.0.1", "--save", "", "--dir", dir)
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n", sp, dir, rp)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return redisAddr, serve(t, sp, "redis-sentinel", conf)
}

// blackhole accepts connections and never answers, like a hung server.
func blackhole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestCheckRedis(t *testing.T) {
	r1, s1 := redisWithSentinel(t)
	r2, s2 := redisWithSentinel(t)
	ctx := context.Background()
	tests := map[string]struct {
		svc  Redis
		want []string // "status kind detail-prefix" per row
	}{
		"agreeing": {Redis{Name: "a", Master: "mymaster", Sentinels: []string{s1}}, []string{
			"ok sentinel master mymaster at " + r1,
			"ok redis master PONG",
		}},
		"disagreeing": {Redis{Name: "d", Master: "mymaster", Sentinels: []string{s1, s2}}, []string{
			"FAIL sentinel master mymaster at " + r1 + " (sentinels disagree)",
			"FAIL sentinel master mymaster at " + r2 + " (sentinels disagree)",
			"FAIL redis master the Sentinels of redis/d disagree on the master (" + s1 + " names " + r1 + "; " + s2 + " names " + r2 + ")",
		}},
		"unknown master": {Redis{Name: "u", Master: "nope", Sentinels: []string{s1}}, []string{
			`FAIL sentinel sentinel knows no master named "nope"`,
			"FAIL redis master no sentinel named a master",
		}},
		"one sentinel down": {Redis{Name: "o", Master: "mymaster", Sentinels: []string{s1, fmt.Sprintf("127.0.0.1:%d", loopbackPort(t))}}, []string{
			"ok sentinel master mymaster at " + r1,
			"FAIL sentinel SENTINEL get-master-addr-by-name: dial tcp",
			"ok redis master PONG",
		}},
		"unset password": {Redis{Name: "p", Master: "mymaster", Sentinels: []string{s1}, Password: "env:GAMEDAY_TEST_UNSET_PW"}, []string{
			"FAIL redis secret env:GAMEDAY_TEST_UNSET_PW: environment variable GAMEDAY_TEST_UNSET_PW is not set",
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			rows := CheckRedis(ctx, tc.svc)
			if len(rows) != len(tc.want) {
				t.Fatalf("got %d rows %+v, want %d", len(rows), rows, len(tc.want))
			}
			for i, r := range rows {
				got := fmt.Sprintf("%s %s %s", statusWord(r), r.Kind, r.Detail)
				if !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("row %d = %q, want prefix %q", i, got, tc.want[i])
				}
				if r.Item != "redis/"+tc.svc.Name {
					t.Errorf("row %d item = %q", i, r.Item)
				}
			}
		})
	}
}

func statusWord(r Readiness) string {
	if r.OK {
		return "ok"
	}
	return "FAIL"
}

func TestCheckKafka(t *testing.T) {
	k, err := kfake.NewCluster(kfake.NumBrokers(2), kfake.SeedTopics(2, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	brokers := k.ListenAddrs()
	tests := map[string]struct {
		svc    Kafka
		ok     bool
		detail string
	}{
		"present":       {Kafka{Name: "k", Brokers: brokers, Topics: []string{"orders"}}, true, "2 brokers, 1/1 topics"},
		"missing topic": {Kafka{Name: "k", Brokers: brokers, Topics: []string{"orders", "payments"}}, false, "topic payments missing (2 brokers answered)"},
		"group absent":  {Kafka{Name: "k", Brokers: brokers[:1], Groups: []string{"billing"}}, true, "2 brokers, 0/0 topics, not yet listed: billing"},
		"bad version":   {Kafka{Name: "k", Brokers: brokers, Version: "9.x"}, false, `version "9.x"`},
		"no broker":     {Kafka{Name: "k", Brokers: []string{fmt.Sprintf("127.0.0.1:%d", loopbackPort(t))}}, false, "metadata: kafka: client has run out of available brokers"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r := CheckKafka(ctx, tc.svc)
			if r.OK != tc.ok || !strings.HasPrefix(r.Detail, tc.detail) {
				t.Errorf("CheckKafka = ok %v %q, want ok %v %q", r.OK, r.Detail, tc.ok, tc.detail)
			}
		})
	}
}

func TestCheckHostSSH(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "host_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // sshd's privilege-separation directory
	port := loopbackPort(t)
	serve(t, port, "/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-o", "HostKey="+key,
		"-o", fmt.Sprintf("ListenAddress=127.0.0.1:%d", port), "-o", "PidFile=none")
	_, notSSH := redisWithSentinel(t)
	_, notSSHPort, _ := net.SplitHostPort(notSSH)
	closed := loopbackPort(t)
	inv := &Inventory{Hosts: []Host{
		{Name: "box", Address: "127.0.0.1", SSH: SSH{Port: port}},
		{Name: "inner", Address: "10.255.0.1", SSH: SSH{Jump: "box"}}, // only reachable through box
		{Name: "quiet", Address: "127.0.0.1", SSH: SSH{Port: atoi(t, notSSHPort)}},
		{Name: "gone", Address: "127.0.0.1", SSH: SSH{Port: closed}},
		{Name: "lab-up", Lab: &LabNode{Kind: "sentinel", PID: os.Getpid(), Listen: notSSH}},
		{Name: "lab-dead", Lab: &LabNode{Kind: "redis", PID: deadPID(t)}},
	}}
	tests := map[string]struct {
		ok     bool
		kind   string
		detail string
	}{
		"box":      {true, "ssh", "SSH-2.0-OpenSSH"},
		"inner":    {true, "ssh via box", "jump host answers SSH-2.0-OpenSSH"},
		"quiet":    {false, "ssh", "no SSH banner"},
		"gone":     {false, "ssh", "connect: dial tcp"},
		"lab-up":   {true, "lab sentinel", fmt.Sprintf("pid %d alive, listening", os.Getpid())},
		"lab-dead": {false, "lab redis", "process"},
	}
	for _, h := range inv.Hosts {
		t.Run(h.Name, func(t *testing.T) {
			want := tests[h.Name]
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			r := CheckHost(ctx, inv, h)
			if r.OK != want.ok || r.Kind != want.kind || !strings.HasPrefix(r.Detail, want.detail) {
				t.Errorf("CheckHost(%s) = %+v, want ok=%v kind %q detail %q", h.Name, r, want.ok, want.kind, want.detail)
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestReachBounded: a server that accepts and never answers costs one
// timeout, not a hang, and every other row still comes back.
func TestReachBounded(t *testing.T) {
	hole := blackhole(t)
	r1, s1 := redisWithSentinel(t)
	inv := &Inventory{
		Services: Services{
			Kafka: []Kafka{{Name: "hung", Brokers: []string{hole}}},
			Redis: []Redis{{Name: "fine", Master: "mymaster", Sentinels: []string{s1}}},
		},
		Hosts: []Host{{Name: "hung-ssh", Address: "127.0.0.1", SSH: SSH{Port: atoi(t, hole[strings.LastIndex(hole, ":")+1:])}}},
	}
	start := time.Now()
	rows := Reach(context.Background(), inv, ReachOptions{Timeout: 500 * time.Millisecond})
	// Generous: the point is "bounded by the timeout", not a speed target.
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Reach took %s with a 500ms timeout", el)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %s", r.Item, r.Kind, statusWord(r)))
	}
	want := []string{"redis/fine sentinel ok", "redis/fine redis master ok", "kafka/hung kafka FAIL", "hung-ssh ssh FAIL"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if rows[1].Address != r1 {
		t.Errorf("master row address = %q, want %q", rows[1].Address, r1)
	}
}
