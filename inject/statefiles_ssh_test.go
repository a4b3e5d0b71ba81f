package inject_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
)

// Gameday's state files on a host (a guard's script and PID, a kill's
// PIDs, the guard's expired marker) are 0600 in a 0700 directory, while
// what the guard starts of the host's own — a service its revert restarts
// on expiry — runs under the umask an SSH session gets, not gameday's
// private one.
func TestStateFilesArePrivate(t *testing.T) {
	bed := nshost.New(t, 1, nshost.Options{})
	inv := bed.Inventory()
	h := bed.Hosts[0]
	m := newManager(t, inv)
	ctx := context.Background()

	pool := sshx.New(inv, sshx.Config{})
	t.Cleanup(func() { pool.Close() })
	res, err := pool.Run(ctx, inv.Hosts[0], "umask")
	if err != nil || res.Exit != 0 {
		t.Fatalf("umask over ssh: %v %+v", err, res)
	}
	sessionUmask := strings.TrimSpace(res.Stdout)
	if sessionUmask == "0077" {
		t.Fatalf("the bed's sessions run under umask 0077 already: the test could not tell gameday's umask from theirs")
	}

	// kill records the PIDs it killed in a state file; its revert — the
	// guard's, on expiry — starts the process again, which notes the
	// umask it got. The namespaces share the machine's PIDs: the pattern
	// must not match gameday's own command line, which holds it.
	const pattern = `^sleep 701[1]\.5$`
	startCmd(t, "sleep", "7011.5")
	t.Cleanup(func() { exec.Command("pkill", "-f", pattern).Run() })
	noted := filepath.Join(t.TempDir(), "umask")
	a, err := m.Arm(ctx, inject.Request{Kind: "kill", Hosts: []string{h.Name}, TTL: 2 * time.Second,
		Params: map[string]string{"pattern": pattern, "start": "umask > " + inject.Quote(noted) + "; exec sleep 7011.5"}})
	if err != nil {
		t.Fatalf("Arm: %v", err)
	}
	modes := func(when string) map[string]string {
		t.Helper()
		out, err := bed.ExecHost(h, "sh", "-c", `stat -c '%a %n' /run/gameday /run/gameday/*`)
		if err != nil {
			t.Fatalf("%s: stat: %v\n%s", when, err, out)
		}
		got := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			mode, name, _ := strings.Cut(l, " ")
			got[name] = mode
			want := "600"
			if name == "/run/gameday" {
				want = "700"
			}
			if mode != want {
				t.Errorf("%s: %s is %s, want %s", when, name, mode, want)
			}
		}
		return got
	}
	armed := modes("armed")
	for _, f := range []string{"guard", "guard.sh", "pids"} {
		if _, ok := armed["/run/gameday/"+a.ID+"."+f]; !ok {
			t.Fatalf("no state file %s.%s among %v", a.ID, f, armed)
		}
	}

	// The guard fires (TTL 2 s) and writes its expired marker: 0600 too.
	expired := "/run/gameday/" + a.ID + ".expired"
	for i := 0; ; i++ {
		if _, err := bed.ExecHost(h, "test", "-f", expired); err == nil {
			break
		}
		if i == 300 {
			t.Fatalf("the guard wrote no %s within 30 s", expired)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := modes("expired"); got[expired] == "" {
		t.Fatalf("no %s among %v", expired, got)
	}
	if _, err := m.Revert(ctx, a.ID); err != nil {
		t.Fatalf("Revert after expiry: %v", err)
	}
	// The guard's revert restarted the process under a session's umask.
	b, err := os.ReadFile(noted)
	if err != nil {
		t.Fatalf("the guard's revert did not start the process again: %v", err)
	}
	if got := strings.TrimSpace(string(b)); got != sessionUmask {
		t.Errorf("the guard restarted the process under umask %s, want a session's %s", got, sessionUmask)
	}
}
