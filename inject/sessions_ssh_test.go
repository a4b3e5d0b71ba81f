package inject_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
)

// tuiProcess is a gameday TUI running on a pseudo-terminal (script(1)).
type tuiProcess struct {
	script  *exec.Cmd
	out     *syncBuffer
	gameday int // the gameday process under script
	done    chan struct{}
}

// startTUI starts `gameday -i inv` on a terminal of its own and returns
// once the gameday process runs.
func startTUI(t *testing.T, g *gamedayCLI, inv string) *tuiProcess {
	t.Helper()
	cmd := exec.Command("script", "-qfec", "stty cols 120 rows 40; exec "+inject.Quote(g.bin, "-i", inv), "/dev/null")
	cmd.Env = append(g.env, "TERM=xterm")
	p := &tuiProcess{script: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// script reads the keyboard from its stdin: a pipe that stays open,
	// on which the terminal's answers go.
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start script: %v", err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if p.gameday != 0 {
			syscall.Kill(p.gameday, syscall.SIGKILL)
		}
		<-p.done
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/" + strconv.Itoa(cmd.Process.Pid) + "/children")
		for _, f := range strings.Fields(string(b)) {
			pid, _ := strconv.Atoi(f)
			if exe, _ := os.Readlink("/proc/" + f + "/exe"); exe == g.bin {
				p.gameday = pid
			}
		}
		if p.gameday == 0 {
			continue
		}
		// The screen asks the terminal for its background colour and the
		// cursor's place before it draws; answer as a terminal would, and
		// wait for the screen.
		in.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[1;1R"))
		if p.drawn() {
			return p
		}
	}
	t.Fatalf("the gameday TUI never drew its screen under script:\n%s", p.out)
	return nil
}

// drawn tells whether the screen shows its fault palette.
func (p *tuiProcess) drawn() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	return strings.Contains(p.out.String(), "Faults")
}

// session returns the ledger's identity of the TUI's gameday process.
func (p *tuiProcess) session(t *testing.T) inject.Session {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.gameday) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	host, _ := os.Hostname()
	return inject.Session{Host: host, PID: p.gameday, Start: start}
}

// TestASignalledSessionRevertsOnlyWhatItArmed: two live TUIs on one ledger,
// each with a fault of its own; SIGHUP (a closed terminal) ends one, which
// reverts its fault and leaves the other session's fault armed.
func TestASignalledSessionRevertsOnlyWhatItArmed(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) from util-linux is needed for a terminal")
	}
	bed := nshost.New(t, 2, nshost.Options{})
	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	invPath := bed.WriteInventory()
	state := t.TempDir()
	g := &gamedayCLI{t: t, bin: buildGameday(t), env: append(os.Environ(), "XDG_STATE_HOME="+state)}
	before1, before2 := bed.Snapshot(h1), bed.Snapshot(h2)

	a, b := startTUI(t, g, invPath), startTUI(t, g, invPath)
	// Each session's fault: armed by the CLI, then recorded in the ledger
	// as the TUI's, as if armed from its screen.
	l, err := inject.OpenLedger(filepath.Join(state, "gameday", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	arm := func(host string, owner *tuiProcess) string {
		_, out, err := g.run(0, "inject", "partition", "--host", host, "--param", "peers=192.0.2.10", "--ttl", guardTTL.String(), "-i", invPath)
		if err != nil {
			t.Fatalf("arm on %s: %v\n%s", host, err, out)
		}
		recs, err := l.Load()
		if err != nil {
			t.Fatal(err)
		}
		r := recs[len(recs)-1]
		r.Session = owner.session(t)
		if err := l.Put(r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	fa, fb := arm("host1", a), arm("host2", b)

	if err := syscall.Kill(a.gameday, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.done:
	case <-time.After(time.Minute):
		t.Fatalf("the signalled TUI did not end within a minute:\n%s", a.out)
	}
	ra, err := l.Get(fa)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := l.Get(fb)
	if err != nil {
		t.Fatal(err)
	}
	if ra.State != inject.StateReverted || hasGamedayRules(bed, h1) {
		t.Errorf("the signalled session's fault is %s (rules on host1: %v), want reverted; its screen:\n%s", ra.State, hasGamedayRules(bed, h1), a.out)
	}
	if rb.State != inject.StateArmed || !hasGamedayRules(bed, h2) {
		t.Errorf("the other live session's fault is %s (rules on host2: %v), want it still armed", rb.State, hasGamedayRules(bed, h2))
	}
	if got := bed.Snapshot(h1); got != before1 {
		t.Errorf("host1 changed:\nbefore:\n%s\nafter:\n%s", before1, got)
	}

	// The other session ends the same way, with its own fault.
	syscall.Kill(b.gameday, syscall.SIGHUP)
	select {
	case <-b.done:
	case <-time.After(time.Minute):
		t.Fatalf("the second TUI did not end within a minute:\n%s", b.out)
	}
	if rb, _ := l.Get(fb); rb.State != inject.StateReverted || bed.Snapshot(h2) != before2 {
		t.Errorf("after its SIGHUP the second session's fault is %s, want reverted and host2 as before", rb.State)
	}
}
