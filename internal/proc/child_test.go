package proc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPdeathsigFollowsTheForkingThread shows why every child is forked on
// the supervisor thread: Linux sends the parent-death signal when the
// thread that forked a child exits, though the process lives on.
func TestPdeathsigFollowsTheForkingThread(t *testing.T) {
	type forked struct {
		control, supervised *exec.Cmd
		in                  *os.File
		out                 *bufio.Reader
		err                 error
	}
	ch := make(chan forked, 1)
	onThreadThatExits(func() {
		var f forked
		f.control = exec.Command("sleep", "30")
		f.control.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if f.err = f.control.Start(); f.err != nil {
			ch <- f
			return
		}
		f.supervised = exec.Command("sh", "-c", "read x; echo ok")
		f.supervised.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		var out *os.File
		var rin, wout *os.File
		if rin, f.in, f.err = os.Pipe(); f.err == nil {
			if out, wout, f.err = os.Pipe(); f.err == nil {
				f.out = bufio.NewReader(out)
				f.supervised.Stdin, f.supervised.Stdout = rin, wout
				f.err = spawn(f.supervised)
				rin.Close()
				wout.Close()
			}
		}
		ch <- f
	})
	f := <-ch
	if f.err != nil {
		t.Fatal(f.err)
	}
	defer f.supervised.Wait()
	defer f.in.Close()
	// The control child's parent thread has exited with its goroutine:
	// the kernel killed it while this process goes on.
	_ = f.control.Wait()
	if ws := f.control.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("a child forked from a thread that exited: %v; want killed by its Pdeathsig", f.control.ProcessState)
	}
	// The supervised child, started from the same goroutine but forked on
	// the supervisor thread, received no such signal (it was queued, if at
	// all, before the control child died): it still runs and answers.
	fmt.Fprintln(f.in, "x")
	if line, err := f.out.ReadString('\n'); line != "ok\n" {
		t.Fatalf("the supervised child did not answer (%q, %v): it died with a thread that was not its parent's", line, err)
	}
}

// onThreadThatExits runs f on a goroutine locked to a thread that is not
// the main one and returns once f has; the Go runtime then ends that
// thread (it never ends the main thread, which it would keep instead).
func onThreadThatExits(f func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked unless on the main thread
		if syscall.Gettid() == os.Getpid() {
			// Hold the main thread while trying again, so that the next
			// goroutine runs on another.
			onThreadThatExits(f)
			runtime.UnlockOSThread()
		} else {
			f()
		}
		close(done)
	}()
	<-done
}

func TestChildLogEnvDir(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "child.log")
	if err := os.WriteFile(log, []byte("before\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Start(Spec{Argv: []string{"sh", "-c", `echo started; echo "$GAMEDAY_X" >&2; pwd`}, Env: []string{"GAMEDAY_X=x1", "PATH=" + os.Getenv("PATH")}, Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	b, _ := os.ReadFile(log)
	if want := "before\nstarted\nx1\n" + dir + "\n"; string(b) != want {
		t.Fatalf("log = %q, want %q (appended stdout and stderr, environment, dir)", b, want)
	}
}

func TestChildSignals(t *testing.T) {
	log := filepath.Join(t.TempDir(), "child.log")
	c, err := Start(Spec{Argv: []string{"sleep", "600"}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(time.Second)
	if pg, err := syscall.Getpgid(c.PID()); err != nil || pg != c.PID() {
		t.Fatalf("child's process group %d (%v), want its own (%d)", pg, err, c.PID())
	}
	if c.Exited() || c.Paused() || !Alive(c.PID()) {
		t.Fatalf("fresh child: exited=%v paused=%v alive=%v", c.Exited(), c.Paused(), Alive(c.PID()))
	}
	if st, err := os.Stat(log); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("log %v mode %v, want 0600", err, st)
	}
	if err := c.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if !c.Paused() {
		t.Fatal("Paused after SIGSTOP = false")
	}
	// Signal returns once the kernel has acted, not once the signal is
	// queued: "paused" is true of the process itself.
	if st, err := ReadStat(c.PID()); err != nil || st.State != 'T' {
		t.Fatalf("after Signal(SIGSTOP) returned, the child is in state %c (%v), want T", st.State, err)
	}
	if err := c.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadStat(c.PID()); err != nil || st.State == 'T' {
		t.Fatalf("after Signal(SIGCONT) returned, the child is in state %c (%v), want it running", st.State, err)
	}
	if err := c.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Stop continues a paused child so that it can act on SIGTERM.
	if err := c.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !c.Exited() || c.Paused() || Alive(c.PID()) {
		t.Fatalf("stopped child: exited=%v paused=%v alive=%v", c.Exited(), c.Paused(), Alive(c.PID()))
	}
	if err := c.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("SIGKILL to an exited child: %v, want a no-op", err)
	}
	if err := c.Signal(syscall.SIGCONT); err != nil {
		t.Errorf("SIGCONT to an exited child: %v, want a no-op", err)
	}
	if err := c.Signal(syscall.SIGSTOP); !errors.Is(err, ErrExited) {
		t.Errorf("SIGSTOP to an exited child: %v, want ErrExited", err)
	}
}

// TestChildKillReturnsOnceGone: Signal(SIGKILL) returns once the child
// has exited and been reaped — a kill fault's verify, which runs right
// after it, must find the process gone, not dying (the lab's JVM nodes
// were "found running" by it). The children here ignore SIGTERM and fork,
// as a JVM's launcher may.
func TestChildKillReturnsOnceGone(t *testing.T) {
	for i := range 20 {
		c, err := Start(Spec{Argv: []string{"sh", "-c", `trap "" TERM; sleep 600 & wait`}, Log: filepath.Join(t.TempDir(), "log")})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if !c.Exited() || Alive(c.PID()) {
			t.Fatalf("kill %d: right after Signal(SIGKILL) returned, exited=%v alive=%v", i, c.Exited(), Alive(c.PID()))
		}
		if err := c.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("SIGKILL again: %v, want a no-op", err)
		}
	}
}

// TestChildStopEscalates: a child that ignores SIGTERM is killed after the
// grace period.
func TestChildStopEscalates(t *testing.T) {
	c, err := Start(Spec{Argv: []string{"sh", "-c", `trap "" TERM; echo ready; while :; do sleep 1; done`}, Log: filepath.Join(t.TempDir(), "log")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !c.Exited() {
		t.Fatal("a child ignoring SIGTERM survived Stop")
	}
}

func TestStartUnderFaketime(t *testing.T) {
	ft := filepath.Join(t.TempDir(), "clock")
	if err := SetClockOffset(ft, "-90s"); err != nil {
		t.Fatal(err)
	}
	c, err := Start(Spec{Argv: []string{"sleep", "600"}, Faketime: ft})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(time.Second)
	// A restart keeps a drift in place.
	if b, err := os.ReadFile(ft); err != nil || string(b) != "-90\n" {
		t.Fatalf("faketime file = %q, %v; want the offset written before the start", b, err)
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", c.PID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range FaketimeEnv(ft) {
		if !strings.Contains("\x00"+string(env)+"\x00", "\x00"+want+"\x00") {
			t.Errorf("child environment lacks %s", want)
		}
	}
}

func TestFaketimeOffset(t *testing.T) {
	cases := map[string]struct {
		in, want string
		bad      bool
	}{
		"empty is none":        {in: "", want: "+0"},
		"plus zero":            {in: "+0", want: "+0"},
		"negative seconds":     {in: "-60s", want: "-60"},
		"positive minutes":     {in: "+2m30s", want: "+150"},
		"fraction":             {in: "-1.5s", want: "-1.5"},
		"plain seconds":        {in: "-90", want: "-90"},
		"unsigned":             {in: "90s", want: "+90"},
		"garbage":              {in: "yesterday", bad: true},
		"shell metacharacters": {in: "1; rm -rf /", bad: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := faketimeOffset(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("faketimeOffset(%q) = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("faketimeOffset(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestRestartable(t *testing.T) {
	var r Restartable
	if r.PID() != 0 || r.Paused() || !r.Wait(0) || r.Stop(time.Second) != nil {
		t.Fatal("an empty Restartable is not an empty one")
	}
	if err := r.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL with nothing running: %v, want a no-op", err)
	}
	if err := r.Signal(syscall.SIGTERM); !errors.Is(err, ErrExited) {
		t.Fatalf("SIGTERM with nothing running: %v, want ErrExited", err)
	}
	spec := Spec{Argv: []string{"sleep", "600"}}
	c, started, err := r.Start(spec)
	if err != nil || !started || r.PID() != c.PID() {
		t.Fatalf("first Start: %v started=%v pid %d/%d", err, started, r.PID(), c.PID())
	}
	again, started, err := r.Start(spec)
	if err != nil || started || again != c {
		t.Fatalf("Start while running: %v started=%v, want the running child back", err, started)
	}
	// No waiting: after Signal(SIGKILL) returns, nothing runs.
	if err := r.Signal(syscall.SIGKILL); err != nil || r.PID() != 0 {
		t.Fatalf("after SIGKILL: %v, pid %d", err, r.PID())
	}
	next, started, err := r.Start(spec)
	if err != nil || !started || next.PID() == c.PID() {
		t.Fatalf("Start after a kill: %v started=%v", err, started)
	}
	if err := r.Stop(time.Second); err != nil || r.PID() != 0 {
		t.Fatalf("Stop: %v, pid %d", err, r.PID())
	}
}
