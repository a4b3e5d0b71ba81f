package lab

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

// TestStartRetriesWhenAPortIsTaken: a port taken between choosing it and
// redis-server binding it costs a retry, not a failed start.
func TestStartRetriesWhenAPortIsTaken(t *testing.T) {
	squatter, err := net.Listen("tcp", nodeIP("redis-2")+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	calls := 0
	pickPorts = func(ips []string) ([]int, error) {
		calls++
		ports, err := freePorts(ips)
		if calls == 1 && err == nil {
			ports[1] = squatter.Addr().(*net.TCPAddr).Port // redis-2's port
		}
		return ports, err
	}
	defer func() { pickPorts = freePorts }()

	var mu sync.Mutex
	var progress []string
	l, err := Start(context.Background(), Options{Dir: t.TempDir(), NoKafka: true, Progress: func(s string) {
		mu.Lock()
		progress = append(progress, s)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatalf("start with a squatted port: %v", err)
	}
	defer l.Stop()
	if calls != 2 {
		t.Fatalf("ports picked %d times, want 2", calls)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(progress, "\n"), "redis-2: its port was taken by another process; retrying") {
		t.Fatalf("progress does not mention the retry:\n%s", strings.Join(progress, "\n"))
	}
}
