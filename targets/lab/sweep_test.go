package lab_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/jvm"
)

// deadLabEnv makes the test binary a lab process for TestSweepAfterKill9.
const deadLabEnv = "GAMEDAY_TEST_LAB_TO_KILL"

// TestLabToKill is not a test: run with deadLabEnv=DIR it is a lab
// process that has cut an address the way a full lab does (its own
// firewall chains), says "ready" and waits to be SIGKILLed.
func TestLabToKill(t *testing.T) {
	dir := os.Getenv(deadLabEnv)
	if dir == "" {
		t.Skip("helper process of TestSweepAfterKill9")
	}
	l, err := lab.Start(context.Background(), lab.Options{Dir: dir, NoRedis: true, NoKafka: true})
	if err != nil {
		t.Fatal(err)
	}
	self, err := proc.Self()
	if err != nil {
		t.Fatal(err)
	}
	if err := jvm.NewLabFirewall(self).Isolate(os.Getenv(deadLabEnv+"_ADDR"), ""); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready", l.Dir())
	select {}
}

// killedLab starts a lab process that cuts addr, SIGKILLs it once it is
// ready, and returns its pid: its chains are left behind, as a full lab
// killed by kill -9 leaves them.
func killedLab(t *testing.T, dir, addr string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLabToKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), deadLabEnv+"="+dir, deadLabEnv+"_ADDR="+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "ready") {
	}
	// What the lab started (its Prometheus) runs in dir.
	children := lab.ProcessesIn(dir)
	if len(children) == 0 {
		t.Fatalf("the lab to kill runs nothing in %s (no Prometheus?)", dir)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// ... and dies with it.
	for deadline := time.Now().Add(10 * time.Second); len(lab.ProcessesIn(dir)) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("processes %v of the lab killed with -9 still run (started: %v)", lab.ProcessesIn(dir), children)
		}
	}
	pid := cmd.Process.Pid
	if !hasChain(t, fmt.Sprintf("GAMEDAY-LAB-%d", pid)) {
		t.Fatalf("the killed lab (pid %d) left no chain to sweep: the helper did not cut", pid)
	}
	return pid
}

func hasChain(t *testing.T, chain string) bool {
	t.Helper()
	out, err := exec.Command("iptables", "-w", "5", "-S").Output()
	if err != nil {
		t.Fatalf("iptables -S: %v", err)
	}
	return strings.Contains(string(out), "-N "+chain+"\n")
}

// TestSweepAfterKill9: the chains of a lab killed with -9 are removed by
// the next `lab down` and by the next `lab up`; a live lab's chains (this
// process's) are left as they are.
func TestSweepAfterKill9(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for iptables")
	}
	addr := fmt.Sprintf("127.255.%d.%d", rand.IntN(250), 1+rand.IntN(250))
	self, err := proc.Self()
	if err != nil {
		t.Fatal(err)
	}
	live := jvm.NewLabFirewall(self)
	if err := live.Isolate(addr, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Remove() })

	t.Run("lab down", func(t *testing.T) {
		dir := t.TempDir()
		pid := killedLab(t, dir, addr)
		if running, _ := lab.Running(dir); running != 0 {
			t.Fatalf("lab.Running = %d after kill -9", running)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var said []string
		if err := lab.Down(ctx, dir, func(s string) { said = append(said, s) }); err != nil {
			t.Fatalf("lab down: %v", err)
		}
		if chain := fmt.Sprintf("GAMEDAY-LAB-%d", pid); !strings.Contains(strings.Join(said, "\n"), chain) {
			t.Errorf("lab down did not say it removed %s: %q", chain, said)
		}
		for _, c := range []string{fmt.Sprintf("GAMEDAY-LAB-%d", pid), fmt.Sprintf("GAMEDAY-LAB-%d-O", pid)} {
			if hasChain(t, c) {
				t.Errorf("%s of the killed lab is left after lab down", c)
			}
		}
	})
	t.Run("lab up", func(t *testing.T) {
		pid := killedLab(t, t.TempDir(), addr)
		var said []string
		l, err := lab.Start(context.Background(), lab.Options{Dir: t.TempDir(), NoRedis: true, NoKafka: true,
			Progress: func(s string) { said = append(said, s) }})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Stop()
		chain := fmt.Sprintf("GAMEDAY-LAB-%d", pid)
		if hasChain(t, chain) {
			t.Errorf("%s of the killed lab is left after the next lab up", chain)
		}
		if !strings.Contains(strings.Join(said, "\n"), chain) {
			t.Errorf("lab up did not say it removed %s: %q", chain, said)
		}
	})
	if !hasChain(t, live.Chain) || !live.Isolated(addr) {
		t.Fatalf("the live lab's chain %s was touched", live.Chain)
	}
}
