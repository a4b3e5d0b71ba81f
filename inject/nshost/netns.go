package nshost

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// lockPath serialises subnet choice between test processes running at the
// same time, so two beds never share a /24.
const lockPath = "/run/gameday-nshost.lock"

// run runs a command and returns its combined output, or an error quoting
// it.
func run(argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// network creates the hub namespace with its bridge and the uplink from the
// root namespace, on a /24 no other bed uses; it returns the subnet's third
// octet.
func (b *Bed) network() (int, error) {
	lk, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return 0, fmt.Errorf("open lock %s: %w", lockPath, err)
	}
	defer lk.Close()
	if err := syscall.Flock(int(lk.Fd()), syscall.LOCK_EX); err != nil {
		return 0, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	defer syscall.Flock(int(lk.Fd()), syscall.LOCK_UN)

	routes, err := run("ip", "-4", "route", "show")
	if err != nil {
		return 0, err
	}
	octet := 0
	for try := 0; try < 100; try++ {
		o := 1 + rand.IntN(254)
		if !strings.Contains(routes, fmt.Sprintf("10.213.%d.", o)) {
			octet = o
			break
		}
	}
	if octet == 0 {
		return 0, fmt.Errorf("no free 10.213.X.0/24 subnet")
	}
	b.Subnet = fmt.Sprintf("10.213.%d.0/24", octet)
	b.RunnerAddr = fmt.Sprintf("10.213.%d.1", octet)
	steps := [][]string{
		{"ip", "netns", "add", b.hub},
		{"ip", "-n", b.hub, "link", "set", "lo", "up"},
		{"ip", "-n", b.hub, "link", "add", "br0", "type", "bridge"},
		{"ip", "-n", b.hub, "link", "set", "br0", "up"},
		{"ip", "link", "add", b.uplk, "type", "veth", "peer", "name", "up0", "netns", b.hub},
		{"ip", "-n", b.hub, "link", "set", "up0", "master", "br0", "up"},
		{"ip", "addr", "add", b.RunnerAddr + "/24", "dev", b.uplk},
		{"ip", "link", "set", b.uplk, "up"},
	}
	for _, s := range steps {
		if _, err := run(s...); err != nil {
			return 0, err
		}
	}
	return octet, nil
}

// addHost creates host h's namespace, with loopback up and eth0 joined to
// the hub's bridge as port "h<i>".
func (b *Bed) addHost(h *Host, i int) error {
	port := fmt.Sprintf("h%d", i)
	steps := [][]string{
		{"ip", "netns", "add", h.NS},
		{"ip", "-n", h.NS, "link", "set", "lo", "up"},
		{"ip", "link", "add", port, "netns", b.hub, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		{"ip", "-n", b.hub, "link", "set", port, "master", "br0", "up"},
		{"ip", "-n", h.NS, "addr", "add", h.Addr + "/24", "dev", "eth0"},
		{"ip", "-n", h.NS, "link", "set", "eth0", "up"},
	}
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		return err
	}
	for _, s := range steps {
		if _, err := run(s...); err != nil {
			return err
		}
	}
	return nil
}

// Exec runs argv inside host h's network namespace and returns its combined
// output, failing the test if it fails.
func (b *Bed) Exec(h *Host, argv ...string) string {
	b.tb.Helper()
	out, err := b.TryExec(h, argv...)
	if err != nil {
		b.tb.Fatalf("nshost: %v", err)
	}
	return out
}

// TryExec runs argv inside host h's network namespace and returns its
// combined output and error.
func (b *Bed) TryExec(h *Host, argv ...string) (string, error) {
	return run(append([]string{"ip", "netns", "exec", h.NS}, argv...)...)
}

// teardown kills every process in the bed's namespaces and deletes them;
// the uplink and the veth pairs go with the hub namespace.
func (b *Bed) teardown() {
	for _, h := range b.Hosts {
		h.sshd.kill()
		h.redis.kill()
	}
	var names []string
	for _, h := range b.Hosts {
		names = append(names, h.NS)
	}
	names = append(names, b.hub)
	for _, ns := range names {
		if err := removeNamespace(ns); err != nil {
			b.tb.Errorf("nshost: teardown: %v", err)
		}
	}
}

// removeNamespace SIGKILLs every process still in ns (sshd session
// children, guards started over SSH) and deletes it. A namespace that does
// not exist is not an error.
func removeNamespace(ns string) error {
	if _, err := os.Stat("/run/netns/" + ns); os.IsNotExist(err) {
		return os.RemoveAll(etcNetns + "/" + ns)
	}
	out, _ := run("ip", "netns", "pids", ns)
	for _, f := range strings.Fields(out) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_, err := run("ip", "netns", "del", ns)
	os.RemoveAll(etcNetns + "/" + ns)
	return err
}
