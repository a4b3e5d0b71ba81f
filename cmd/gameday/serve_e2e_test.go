package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/gameday-dev/gameday/internal/tmuxtest"
)

var sentinelRow = regexp.MustCompile(`(?m)^.(ok|BREACH|error|pending)\s+sentinel\.master\s+\S+\s+(\S+)`)

func agreedMaster(screen string) string {
	if m := sentinelRow.FindStringSubmatch(screen); m != nil && strings.Contains(m[2], ":") {
		return m[2]
	}
	return ""
}

// writeClientKey writes an OpenSSH private key for a participant and
// returns its path and its keys-file line.
func writeClientKey(t *testing.T, dir, name, role string) (string, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, _ := gossh.NewSignerFromKey(priv)
	return path, fmt.Sprintf("%s %s %s", name, role, gossh.MarshalAuthorizedKey(signer.PublicKey()))
}

// TestServeWarRoomWithOpenSSH is the war room: the lab, `gameday serve`,
// and four people joining with the real OpenSSH client — alice the
// facilitator, carol the scribe, bob and dave observers. Alice kills the
// Redis master; both observers see the switch and the armed fault; bob's
// arming key does nothing and says why; carol's note reaches every screen
// attributed; SIGTERM reverts and writes a report that names everyone.
func TestServeWarRoomWithOpenSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts the lab and five processes (-short skips it)")
	}
	for _, bin := range []string{"tmux", "ssh", "redis-server", "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs it)", bin)
		}
	}
	bin := buildGameday(t, t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	labDir, state, keyDir := t.TempDir(), t.TempDir(), t.TempDir()
	labUp(t, bin, labDir)
	t.Cleanup(func() {
		if out, err := exec.Command(bin, "lab", "down", "--dir", labDir).CombinedOutput(); err != nil {
			t.Logf("lab down: %v\n%s", err, out)
		}
	})

	people := []struct{ name, role string }{{"alice", "facilitator"}, {"bob", "observer"}, {"carol", "scribe"}, {"dave", "observer"}}
	keyFile := filepath.Join(keyDir, "war-room.keys")
	var lines []string
	keyPaths := map[string]string{}
	for _, p := range people {
		path, line := writeClientKey(t, keyDir, p.name, p.role)
		keyPaths[p.name] = path
		lines = append(lines, line)
	}
	if err := os.WriteFile(keyFile, []byte("# the war room\n"+strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}

	serve := exec.Command(bin, "serve", "-i", filepath.Join(labDir, "inventory.yaml"), "--listen", "127.0.0.1:0", "--keys", keyFile, "--state-dir", state)
	stdout, _ := serve.StdoutPipe()
	var serveErr strings.Builder
	serve.Stderr = &serveErr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var said strings.Builder
	listening := make(chan string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			said.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				listening <- strings.TrimSuffix(strings.Fields(addr)[0], ";")
			}
		}
	}()
	t.Cleanup(func() {
		serve.Process.Kill()
		serve.Wait()
	})
	var addr string
	select {
	case addr = <-listening:
	case <-time.After(60 * time.Second):
		t.Fatalf("gameday serve did not listen within 60 s; stderr %s", serveErr.String())
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]

	// Strict host key checking against the key the server keeps.
	hk, err := os.ReadFile(filepath.Join(state, "serve", "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(keyDir, "known_hosts")
	os.WriteFile(knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%s %s", port, gossh.MarshalAuthorizedKey(signer.PublicKey()))), 0o600)

	screens := map[string]*tmuxtest.Screen{}
	for _, p := range people {
		name := fmt.Sprintf("gameday-serve-%s-%d", p.name, os.Getpid())
		cmd := fmt.Sprintf("ssh -p %s -i %s -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -o LogLevel=ERROR 127.0.0.1; echo SSH-EXITED $?; sleep 60",
			port, keyPaths[p.name], knownHosts)
		screens[p.name] = tmuxtest.Start(t, name, cmd, 160, 48)
	}
	alice, bob, carol, dave := screens["alice"], screens["bob"], screens["carol"], screens["dave"]

	// Everyone sees the same session with everyone present and the
	// Sentinels agreeing on a master.
	var before string
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("serve said:\n%s\nstderr: %s", said.String(), serveErr.String())
			mu.Unlock()
			out, _ := exec.Command("tmux", "list-sessions").CombinedOutput()
			t.Logf("tmux sessions:\n%s", out)
		}
	})
	for _, p := range people {
		if sc, ok := screens[p.name].WaitUntil(90*time.Second, func(sc string) bool {
			return strings.Contains(sc, "SSH-EXITED") || strings.Contains(sc, "you: "+p.name+" ("+p.role+")") && strings.Contains(sc, "sentinel.master")
		}); !ok || strings.Contains(sc, "SSH-EXITED") {
			audit, _ := os.ReadFile(filepath.Join(state, "serve", "audit.log"))
			t.Fatalf("%s could not join:\n%s\naudit:\n%s", p.name, sc, audit)
		}
		sc := screens[p.name].Capture()
		screen, ok := screens[p.name].WaitUntil(90*time.Second, func(sc string) bool { return agreedMaster(sc) != "" && strings.Contains(sc, "3/3 agree") })
		if !ok {
			t.Fatalf("%s: no agreed master:\n%s\n(first screen:\n%s)", p.name, screen, sc)
		}
		before = agreedMaster(screen)
	}
	alice.WaitFor(30*time.Second, "with ", "bob (observer)", "carol (scribe)", "dave (observer)")

	// An observer's arming key does nothing and says why.
	bob.Keys("a")
	bob.WaitFor(10*time.Second, "not allowed: observers do not arm or revert faults: ask the facilitator (alice)")

	// Alice arms kill on the master, keys only.
	screen := alice.Capture()
	for i := 0; i < 12 && !strings.Contains(screen, "> kill"); i++ {
		alice.Keys("j")
		screen = alice.Capture()
	}
	if !strings.Contains(screen, "> kill") {
		t.Fatalf("kill not found in alice's palette:\n%s", screen)
	}
	alice.Keys("a")
	alice.WaitFor(10*time.Second, "Arm kill: choose hosts")
	alice.Keys("/")
	alice.Keys(strings.Split("role:master", "")...)
	alice.Keys("Enter", "Space")
	alice.WaitFor(10*time.Second, "1 of ", "hosts selected")
	alice.Keys("Enter")
	alice.WaitFor(10*time.Second, "Arm kill: parameters")
	alice.Keys("Enter")
	alice.WaitFor(30*time.Second, "blast radius:")
	alice.Keys("y")

	// Both observers see the switch, the new master and the armed kill.
	for _, o := range []*tmuxtest.Screen{bob, dave} {
		var now string
		last, ok := o.WaitUntil(90*time.Second, func(sc string) bool {
			if m := agreedMaster(sc); m != "" && m != before {
				now = m
			}
			return now != "" && strings.Contains(sc, "sentinel.switch") && regexp.MustCompile(`\S+\s+kill\s+redis-\d`).MatchString(sc)
		})
		if !ok {
			mu.Lock()
			t.Fatalf("%s never showed the switch from %s, the new master and the armed kill; serve said:\n%s\nlast screen:\n%s", o.Name, before, said.String(), last)
		}
		t.Logf("%s: master %s → %s", o.Name, before, now)
	}

	// The scribe's note reaches every screen, attributed.
	carol.Keys("n")
	carol.WaitFor(10*time.Second, "Note for the timeline")
	carol.Keys("failover looks clean", "Enter")
	for _, p := range people {
		screens[p.name].WaitFor(30*time.Second, "carol: failover looks clean")
	}

	// SIGTERM: no question; what the session armed is reverted; the
	// report names everyone and attributes the note.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { <-readDone; exited <- serve.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("gameday serve exited %v; stderr %s", err, serveErr.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatal("gameday serve did not stop within 90 s of SIGTERM")
	}
	mu.Lock()
	out := said.String()
	mu.Unlock()
	if !strings.Contains(out, "reverted 1 fault(s) this session armed") {
		t.Errorf("serve did not say it reverted the kill:\n%s", out)
	}
	m := regexp.MustCompile(`(?m)^report:\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve printed no report path:\n%s", out)
	}
	report, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"alice joined as facilitator", "bob joined as observer", "carol joined as scribe", "dave joined as observer", "carol: failover looks clean"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, p := range people {
		screens[p.name].WaitFor(30*time.Second, "SSH-EXITED")
	}
	if audit, err := os.ReadFile(filepath.Join(state, "serve", "audit.log")); err != nil || strings.Count(string(audit), "screen opened") != 4 {
		t.Errorf("audit log (%v) does not show the 4 screens:\n%s", err, audit)
	}
}
