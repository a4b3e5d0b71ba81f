package inject

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// mountNS starts a process in a new mount namespace with a 16 MiB tmpfs on
// dir and returns its PID; the tmpfs is invisible to the rest of the
// machine and goes away with the process.
func mountNS(t *testing.T, dir string) int {
	t.Helper()
	cmd := startProcess(t, "unshare", "-m", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs -o size=16m gameday-test "+Quote(dir)+" && exec sleep 600")
	pid := cmd.Process.Pid
	for i := 0; i < 50; i++ {
		if total, _ := statfsIn(t, pid, dir); total == 16<<20 {
			return pid
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the tmpfs never appeared in the mount namespace of %d", pid)
	return 0
}

// statfsIn returns the total and available bytes of dir's filesystem as
// seen from the mount namespace of pid.
func statfsIn(t *testing.T, pid int, dir string) (total, avail int64) {
	t.Helper()
	out, err := exec.Command("nsenter", "-t", itoa(pid), "-m", "stat", "-f", "-c", "%b %a %S", dir).Output()
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(out))
	b, _ := strconv.ParseInt(f[0], 10, 64)
	a, _ := strconv.ParseInt(f[1], 10, 64)
	s, _ := strconv.ParseInt(f[2], 10, 64)
	return b * s, a * s
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func TestDiskFillLeavesTheAskedSpaceAndRedisWritesFail(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	pid := mountNS(t, dir)
	port := freePort(t)
	startProcess(t, "nsenter", "-t", itoa(pid), "-m", "redis-server", "--port", port, "--bind", "127.0.0.1",
		"--dir", dir, "--appendonly", "yes", "--save", "", "--logfile", filepath.Join(dir, "redis.log"))
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	defer rdb.Close()
	ctx := context.Background()
	for i := 0; rdb.Ping(ctx).Err() != nil; i++ {
		if i > 100 {
			t.Fatal("redis-server in the mount namespace never answered PING")
		}
		time.Sleep(50 * time.Millisecond)
	}

	const leave = 1 << 20
	m, err := NewManager(localInventory(), nil, filepath.Join(t.TempDir(), "ledger.jsonl"),
		WithRunner(LocalRunner{Wrap: []string{"nsenter", "-t", itoa(pid), "-m"}}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Arm(ctx, Request{Kind: "disk-fill", Hosts: []string{"local"}, Params: map[string]string{"path": dir, "free": "1MiB"}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm disk-fill: %v", err)
	}
	if _, avail := statfsIn(t, pid, dir); avail > leave || avail < leave-64<<10 {
		t.Errorf("free space after disk-fill = %d bytes, want 1 MiB (less at most 64 KiB of Redis's own writes)", avail)
	}
	// Redis's writes fail once its AOF cannot grow.
	big := strings.Repeat("x", 2*leave)
	var werr error
	for i := 0; i < 20 && werr == nil; i++ {
		werr = rdb.Set(ctx, "k"+itoa(i), big, 0).Err()
	}
	if werr == nil || !strings.Contains(werr.Error(), "No space left on device") {
		t.Errorf("Redis writes on a full disk: %v, want an AOF ENOSPC error", werr)
	}

	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if _, avail := statfsIn(t, pid, dir); avail < 8<<20 {
		t.Errorf("free space after revert = %d bytes, want the filler's space back", avail)
	}
	out, _ := exec.Command("nsenter", "-t", itoa(pid), "-m", "ls", "-A", dir).Output()
	if strings.Contains(string(out), ".gameday-fill-") {
		t.Errorf("filler file left after revert: %s", out)
	}
	// Redis recovers by itself once there is room again.
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Set(ctx, "after", "v", 0).Err() != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := rdb.Set(ctx, "after", "v", 0).Err(); err != nil {
		t.Errorf("Redis writes still fail 5s after revert: %v", err)
	}
}

// TestDiskFillToZeroSucceedsWhileTheServiceWrites: with free=0, a filler
// sized from a free-space figure taken a moment before no longer fits once
// the service writes in between. A fallocate on PATH that first writes
// 256 KiB into the filesystem (once) makes that happen every time; the
// fill must still end with the disk full, and say so.
func TestDiskFillToZeroSucceedsWhileTheServiceWrites(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	pid := mountNS(t, dir)
	bin := t.TempDir()
	real, err := exec.LookPath("fallocate")
	if err != nil {
		t.Skip("fallocate is not installed")
	}
	wrote := filepath.Join(t.TempDir(), "wrote")
	fake := "#!/bin/sh\n[ -e " + Quote(wrote) + " ] || { : > " + Quote(wrote) +
		"; head -c 262144 /dev/zero > " + Quote(filepath.Join(dir, "service.log")) + "; }\nexec " + Quote(real) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "fallocate"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	m, err := NewManager(localInventory(), nil, filepath.Join(t.TempDir(), "ledger.jsonl"),
		WithRunner(LocalRunner{Wrap: []string{"nsenter", "-t", itoa(pid), "-m"}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	a, err := m.Arm(ctx, Request{Kind: "disk-fill", Hosts: []string{"local"}, Params: map[string]string{"path": dir, "free": "0"}, TTL: time.Minute})
	if err != nil {
		t.Fatalf("Arm disk-fill free=0 while the service writes: %v", err)
	}
	if _, err := os.Stat(wrote); err != nil {
		t.Fatalf("the service never wrote during the fill: the test proves nothing")
	}
	// 1% of 16 MiB plus 1 MiB is the slack the verify allows.
	if _, avail := statfsIn(t, pid, dir); avail > 16<<20/100+1<<20 {
		t.Errorf("free space after disk-fill free=0 = %d bytes, want the disk full", avail)
	}
	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if _, avail := statfsIn(t, pid, dir); avail < 15<<20 {
		t.Errorf("free space after revert = %d bytes, want the filler's space back", avail)
	}
}
