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

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/internal/tmuxtest"
	"github.com/gameday-dev/gameday/internal/yamldoc"
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
	skipWithoutE2E(t)
	bin, labDir, state, keyDir := e2eLab(t)

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

	srv := startServe(t, bin, state, keyDir, "-i", filepath.Join(labDir, "inventory.yaml"), "--keys", keyFile)
	said, serveErr, mu := srv.said, srv.stderr, srv.mu
	screens := map[string]*tmuxtest.Screen{}
	for _, p := range people {
		screens[p.name] = srv.join(t, p.name, keyPaths[p.name])
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
	// One j at a time, each waited for: a loaded machine draws late.
	selected := regexp.MustCompile(`[┃│]> (\S+)`)
	screen := alice.Capture()
	for i := 0; i < 12 && !strings.Contains(screen, "> kill"); i++ {
		prev := ""
		if m := selected.FindStringSubmatch(screen); m != nil {
			prev = m[1]
		}
		alice.Keys("j")
		screen, _ = alice.WaitUntil(10*time.Second, func(sc string) bool {
			m := selected.FindStringSubmatch(sc)
			return m != nil && m[1] != prev
		})
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
		screens[p.name].WaitFor(30*time.Second, "failover looks clean (carol)")
	}

	// SIGTERM: no question; what the session armed is reverted; the
	// report names everyone and attributes the note.
	out, report := srv.stop(t)
	if !strings.Contains(out, "reverted 1 fault(s) this session armed") {
		t.Errorf("serve did not say it reverted the kill:\n%s", out)
	}
	for _, want := range []string{"alice joined as facilitator", "bob joined as observer", "carol joined as scribe", "dave joined as observer", "failover looks clean (carol)"} {
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

// served is a running `gameday serve` and what it printed.
type served struct {
	cmd        *exec.Cmd
	mu         *sync.Mutex
	said       *strings.Builder
	stderr     *strings.Builder
	readDone   chan struct{}
	port       string
	knownHosts string
}

// startServe starts `gameday serve` on a free loopback port with its
// state in state and args, waits until it listens, and writes a
// known_hosts file in keyDir holding the host key it keeps.
func startServe(t *testing.T, bin, state, keyDir string, args ...string) *served {
	t.Helper()
	serve := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--state-dir", state}, args...)...)
	stdout, _ := serve.StdoutPipe()
	srv := &served{cmd: serve, mu: &sync.Mutex{}, said: &strings.Builder{}, stderr: &strings.Builder{}, readDone: make(chan struct{})}
	serve.Stderr = srv.stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		defer close(srv.readDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			srv.mu.Lock()
			srv.said.WriteString(sc.Text() + "\n")
			srv.mu.Unlock()
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
		t.Fatalf("gameday serve did not listen within 60 s; stderr %s", srv.stderr.String())
	}
	srv.port = addr[strings.LastIndexByte(addr, ':')+1:]

	// Strict host key checking against the key the server keeps.
	hk, err := os.ReadFile(filepath.Join(state, "serve", "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	srv.knownHosts = filepath.Join(keyDir, "known_hosts")
	os.WriteFile(srv.knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%s %s", srv.port, gossh.MarshalAuthorizedKey(signer.PublicKey()))), 0o600)
	return srv
}

// join opens a 160×48 tmux screen in which name joins with the real
// OpenSSH client and key.
func (srv *served) join(t *testing.T, name, key string) *tmuxtest.Screen {
	t.Helper()
	session := fmt.Sprintf("gameday-serve-%s-%d", name, os.Getpid())
	cmd := fmt.Sprintf("ssh -p %s -i %s -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -o LogLevel=ERROR 127.0.0.1; echo SSH-EXITED $?; sleep 60",
		srv.port, key, srv.knownHosts)
	return tmuxtest.Start(t, session, cmd, 160, 48)
}

// TestServeDrillWithOpenSSH is a drill on the lab under `gameday serve`:
// tom the trainer and dave a trainee join with the real OpenSSH client;
// the drill's seed picks the kill of the Redis master, armed at once.
// Dave's screen never shows the fault (no kind, no fault or scenario
// event, no armed pane); dave declares a diagnosis and "mitigated" with
// keys only; tom confirms, which reverts the kill and ends the drill;
// both screens show the reveal, and the report written at SIGTERM has the
// truth and dave's score.
func TestServeDrillWithOpenSSH(t *testing.T) {
	skipWithoutE2E(t)
	drillFile := filepath.Join("..", "..", "examples", "drills", "redis-cache.yaml")
	vars := []string{"from=0s", "to=0s", "lasts=10m"}
	var given []yamldoc.Var
	for _, s := range vars {
		v, err := yamldoc.VarFlag(s)
		if err != nil {
			t.Fatal(err)
		}
		given = append(given, v)
	}
	dr, err := drills.Load(drillFile, given...)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(1)
	for drills.NewPlan(dr, seed).Picks[0].Kind != "kill" {
		seed++
	}

	bin, labDir, state, keyDir := e2eLab(t)
	tomKey, tomLine := writeClientKey(t, keyDir, "tom", "trainer")
	daveKey, daveLine := writeClientKey(t, keyDir, "dave", "trainee")
	keyFile := filepath.Join(keyDir, "training.keys")
	if err := os.WriteFile(keyFile, []byte(tomLine+daveLine), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-i", filepath.Join(labDir, "inventory.yaml"), "--keys", keyFile, "--drill", drillFile, "--seed", fmt.Sprint(seed)}
	for _, v := range vars {
		args = append(args, "--var", v)
	}
	srv := startServe(t, bin, state, keyDir, args...)
	t.Cleanup(func() {
		if t.Failed() {
			srv.mu.Lock()
			t.Logf("serve said:\n%s\nstderr: %s", srv.said.String(), srv.stderr.String())
			srv.mu.Unlock()
		}
	})
	tom := srv.join(t, "tom", tomKey)
	dave := srv.join(t, "dave", daveKey)
	tom.WaitFor(90*time.Second, "you: tom (trainer)", "hidden plan")
	dave.WaitFor(90*time.Second, "you: dave (trainee)", "Briefing: You are on call")

	// The trainer sees the kill armed, and on which host.
	armed := regexp.MustCompile(`kill on (redis-\d)`)
	screen, ok := tom.WaitUntil(90*time.Second, func(sc string) bool { return armed.MatchString(sc) && strings.Contains(sc, "drill.scenario") })
	if !ok {
		t.Fatalf("the trainer never saw the kill armed:\n%s", screen)
	}
	victim := armed.FindStringSubmatch(screen)[1]

	// The trainee sees the probes react, and nothing that names the fault.
	screen, ok = dave.WaitUntil(90*time.Second, func(sc string) bool { return strings.Contains(sc, "sentinel.") && strings.Contains(sc, "drill.start") })
	if !ok {
		t.Fatalf("the trainee's screen:\n%s", screen)
	}
	for _, leak := range []string{"kill", "fault.", "drill.scenario", "drill.plan", "Armed", "hidden plan"} {
		if strings.Contains(screen, leak) {
			t.Errorf("the trainee's screen shows %q:\n%s", leak, screen)
		}
	}

	// Dave declares, keys only; tom confirms.
	dave.Keys("d")
	dave.WaitFor(10*time.Second, "Declare a diagnosis")
	dave.Keys(victim, "Tab", "kill", "Tab", "master gone, sentinel failed over", "Enter")
	dave.WaitFor(10*time.Second, "diagnosis declared")
	dave.Keys("m")
	dave.WaitFor(10*time.Second, "Declare the incident mitigated")
	dave.Keys("waited for the failover", "Enter")
	dave.WaitFor(10*time.Second, "mitigated declared")
	tom.Keys("c")
	tom.WaitFor(10*time.Second, "Confirm a mitigation", "1 dave")
	tom.Keys("1")
	tom.WaitFor(30*time.Second, "confirmed dave's mitigation")

	// The drill ends: both screens show the reveal with dave's score.
	for _, sc := range []*tmuxtest.Screen{tom, dave} {
		sc.WaitFor(90*time.Second, "drill.end", "SCENARIO", "right")
	}

	_, report := srv.stop(t)
	row := regexp.MustCompile(`(?m)^1 cache trouble\s+dave\s+\S+\s+right\s+\S+\s+0$`)
	for _, want := range []string{"## Drill redis-cache", "kill on " + victim, "mitigated by dave"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !row.Match(report) {
		t.Errorf("report has no row scoring dave right:\n%s", report)
	}
}

// skipWithoutE2E skips an end-to-end test under -short or without the
// programs it runs.
func skipWithoutE2E(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: starts the lab and several processes (-short skips it)")
	}
	for _, bin := range []string{"tmux", "ssh", "redis-server", "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs it)", bin)
		}
	}
}

// e2eLab builds gameday, starts a lab (stopped when the test ends) and
// returns the binary, the lab's directory, a state directory for serve
// and a directory for keys.
func e2eLab(t *testing.T) (bin, labDir, state, keyDir string) {
	t.Helper()
	bin = buildGameday(t, t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	labDir, state, keyDir = t.TempDir(), t.TempDir(), t.TempDir()
	labUp(t, bin, labDir)
	t.Cleanup(func() {
		if out, err := exec.Command(bin, "lab", "down", "--dir", labDir).CombinedOutput(); err != nil {
			t.Logf("lab down: %v\n%s", err, out)
		}
	})
	return bin, labDir, state, keyDir
}

// stop sends SIGTERM, waits for serve to exit cleanly, and returns what it
// printed and the report it wrote.
func (srv *served) stop(t *testing.T) (said string, report []byte) {
	t.Helper()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { <-srv.readDone; exited <- srv.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("gameday serve exited %v; stderr %s", err, srv.stderr.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatal("gameday serve did not stop within 90 s of SIGTERM")
	}
	srv.mu.Lock()
	said = srv.said.String()
	srv.mu.Unlock()
	m := regexp.MustCompile(`(?m)^report:\s+(\S+)$`).FindStringSubmatch(said)
	if m == nil {
		t.Fatalf("serve printed no report path:\n%s", said)
	}
	report, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return said, report
}
