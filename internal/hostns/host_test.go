package hostns

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
)

// twoHosts makes a network with two hosts that have PID namespaces of
// their own; host1 has a 4 MiB tmpfs on dir.
func twoHosts(t *testing.T, dir string) (*Network, []*Host) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("namespaces need root")
	}
	if err := Require(nil); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%100000)
	net, err := NewNetwork("gdt-"+id+"-hub", "gdt"+id[len(id)-8:])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Remove() })
	tmp := t.TempDir()
	key := filepath.Join(tmp, "id")
	if err := Keygen(key, "test"); err != nil {
		t.Fatal(err)
	}
	var hosts []*Host
	for i := 1; i <= 2; i++ {
		h := &Host{Name: fmt.Sprintf("h%d", i), NS: fmt.Sprintf("gdt-%s-%d", id, i), Addr: net.Addr(i), Dir: filepath.Join(tmp, strconv.Itoa(i)), OwnPIDs: true}
		if i == 1 {
			h.Mounts = []Mount{{Dir: dir, SizeMB: 4}}
		}
		t.Cleanup(func() { h.Kill(); RemoveNamespace(h.NS) })
		if err := net.AddHost(h, i); err != nil {
			t.Fatal(err)
		}
		if err := h.WriteEtc("", key+".pub"); err != nil {
			t.Fatal(err)
		}
		if err := h.StartSSHD(); err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, h)
	}
	return net, hosts
}

// TestOwnPIDsAndMounts: a host with its own PID namespace shows its
// sessions only its own processes (pgrep -f on one host never finds the
// other's), sees the tmpfs mounted inside it while the machine does not,
// and everything in it — a daemon detached with setsid, as a fault's
// start command does — dies when the process that made the host dies.
func TestOwnPIDsAndMounts(t *testing.T) {
	data := t.TempDir()
	_, hs := twoHosts(t, data)
	h1, h2 := hs[0], hs[1]
	marker := fmt.Sprintf("gameday-hostns-marker-%d", os.Getpid())
	c, err := h1.Start(proc.Spec{Argv: []string{"sh", "-c", "sleep 300; : " + marker}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(time.Second)
	var out string
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out, marker); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("host1 does not see its own process: %q", out)
		}
		out, _ = h1.Exec("ps", "-eo", "pid,args")
	}
	if out, _ := h2.Exec("ps", "-eo", "pid,args"); strings.Contains(out, marker) {
		t.Fatalf("host2 sees host1's process:\n%s", out)
	}
	if out, _ := h1.Exec("ps", "-eo", "pid,args"); len(strings.Split(strings.TrimSpace(out), "\n")) > 10 {
		t.Fatalf("host1 sees more than its own processes:\n%s", out)
	}
	// The tmpfs: inside host1 only.
	if out, err := h1.Exec("stat", "-f", "-c", "%T", data); err != nil || strings.TrimSpace(out) != "tmpfs" {
		t.Fatalf("host1's %s is %q (%v), want its tmpfs", data, out, err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(data, &st); err != nil || st.Blocks*uint64(st.Bsize) == 4<<20 {
		t.Fatalf("the machine sees host1's tmpfs on %s (%v)", data, err)
	}
	// A detached daemon, started as a session would start it.
	if _, err := h1.Exec("sh", "-c", "setsid nohup sh -c 'sleep 300; : "+marker+"-detached' </dev/null >/dev/null 2>&1 &"); err != nil {
		t.Fatal(err)
	}
	inNS := func() []string {
		out, _ := Run("ip", "netns", "pids", h1.NS)
		return strings.Fields(out)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, _ := h1.Exec("ps", "-eo", "args")
		if strings.Contains(out, marker+"-detached") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the detached daemon never ran:\n%s", out)
		}
	}
	if len(inNS()) < 3 {
		t.Fatalf("host1's namespace holds %v; want sshd, the started process and the daemon", inNS())
	}
	// The host's maker dies: unshare gets SIGKILL, as from Pdeathsig.
	syscall.Kill(h1.sshd.PID(), syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); len(inNS()) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("processes %v outlived host1's first process", inNS())
		}
	}
}
