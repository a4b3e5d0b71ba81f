package lab_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

// TestToxiproxyAPIOnlyWhenAsked: the embedded Toxiproxy's HTTP API has no
// authentication, so a lab serves it only with Options.ToxiproxyAPI. By
// default no socket of the lab answers Toxiproxy's GET /version (every
// listening socket of this process is asked), and the inventory names no
// such API; asked for, it answers where the inventory says.
func TestToxiproxyAPIOnlyWhenAsked(t *testing.T) {
	quiet := labtest.Start(t, lab.Options{NoKafka: true})
	if a := quiet.Inventory().Lab.Toxiproxy; a != "" {
		t.Fatalf("inventory names a Toxiproxy API (%s) nobody asked for", a)
	}
	if reread, err := targets.Load(quiet.InventoryPath()); err != nil || reread.Lab.Toxiproxy != "" {
		t.Fatalf("inventory file: lab.toxiproxy %q, %v; want none", reread.Lab.Toxiproxy, err)
	}
	ports := listeningPorts(t)
	if len(ports) < 7 { // control API, six relays at least
		t.Fatalf("found %d listening sockets in this process; the lab's are missing: the check below would prove nothing", len(ports))
	}
	for _, addr := range ports {
		if v, ok := toxiproxyVersion(addr); ok {
			t.Errorf("%s answers Toxiproxy's GET /version (%s) although the lab was not asked to serve its API", addr, v)
		}
	}

	loud := labtest.Start(t, lab.Options{NoKafka: true, NoRedis: true, ToxiproxyAPI: true})
	addr := loud.Inventory().Lab.Toxiproxy
	if addr == "" {
		t.Fatal("asked for the Toxiproxy API, the inventory names none")
	}
	if v, ok := toxiproxyVersion(addr); !ok {
		t.Fatalf("the Toxiproxy API the inventory names (%s) does not answer GET /version", addr)
	} else {
		t.Logf("toxiproxy API on %s: %s", addr, v)
	}
}

// toxiproxyVersion asks addr for Toxiproxy's GET /version.
func toxiproxyVersion(addr string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/version", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return strings.TrimSpace(string(b)), resp.StatusCode == http.StatusOK && strings.Contains(string(b), "version")
}

// listeningPorts lists the IPv4 TCP sockets this process listens on,
// from /proc/net/tcp matched against the process's open descriptors.
func listeningPorts(t *testing.T) []string {
	t.Helper()
	inodes := map[string]bool{}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		// sl local_address rem_address st ... inode (field 9)
		if len(fs) < 10 || fs[3] != "0A" || !inodes[fs[9]] {
			continue
		}
		host, port, ok := strings.Cut(fs[1], ":")
		if !ok || len(host) != 8 {
			continue
		}
		ip, _ := strconv.ParseUint(host, 16, 32)
		p, _ := strconv.ParseUint(port, 16, 16)
		out = append(out, fmt.Sprintf("%d.%d.%d.%d:%d", ip&0xff, ip>>8&0xff, ip>>16&0xff, ip>>24, p))
	}
	return out
}
