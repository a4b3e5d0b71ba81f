package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Spec says how to start a child process.
type Spec struct {
	// Argv is the program and its arguments.
	Argv []string
	// Env is the child's whole environment; nil means this process's.
	Env []string
	// Dir is its working directory ("" for this process's).
	Dir string
	// Log receives its stdout and stderr, appended (created 0600).
	Log string
	// Faketime, when set, runs the child under libfaketime with this
	// control file (see FaketimeEnv). Start leaves the file as it is: a
	// node restarted while its clock is drifted stays drifted.
	Faketime string
}

// Child is a process started by Start. It runs in its own process group
// (so a Ctrl-C meant for gameday does not reach it first, and a signal
// reaches whatever it forks), and it gets SIGKILL when this process dies,
// even by SIGKILL.
type Child struct {
	cmd  *exec.Cmd
	done chan struct{}
	werr error // how it ended (exec.Cmd.Wait's error), once done is closed

	mu     sync.Mutex
	paused bool
}

// ErrExited is what signalling an exited child returns (except SIGKILL and
// SIGCONT, which are then no-ops: a revert must be idempotent).
var ErrExited = errors.New("not running")

// Start starts a child as Spec says, on the supervisor thread.
func Start(s Spec) (*Child, error) {
	if len(s.Argv) == 0 {
		return nil, errors.New("start: no program")
	}
	env := s.Env
	if env == nil {
		env = os.Environ()
	}
	if s.Faketime != "" {
		env = append(env[:len(env):len(env)], FaketimeEnv(s.Faketime)...)
	}
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	cmd.Env, cmd.Dir = env, s.Dir
	if s.Log != "" {
		logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open log %s: %w", s.Log, err)
		}
		// The child gets its own copy of the descriptor; ours can go as
		// soon as it has started.
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Argv[0], err)
	}
	c := &Child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.werr = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// The supervisor thread. Linux sends a child its parent-death signal
// (Pdeathsig) when the *thread* that forked it exits, not when the process
// does (prctl(2), PR_SET_PDEATHSIG; golang/go#27505). The Go runtime
// exits a thread whenever a goroutine locked to it returns without
// unlocking (namespace and credential code does that on purpose), so a
// child forked from an ordinary goroutine could be SIGKILLed at any
// moment of a long life. Every fork therefore happens on one thread that
// is locked for good and never exits while the process lives:
// TestPdeathsigFollowsTheForkingThread shows both halves on this kernel.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			// Never unlocked, never returns.
			runtime.LockOSThread()
			for r := range spawnReqs {
				r.errc <- r.cmd.Start()
			}
		}()
	})
	errc := make(chan error, 1)
	spawnReqs <- spawnReq{cmd: cmd, errc: errc}
	return <-errc
}

// PID is the child's process id (also its process group id).
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Done is closed once the child has exited and been reaped.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited reports whether the child has exited.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// ExitErr is how the child ended once it has (nil for exit status 0,
// an *exec.ExitError otherwise), and nil while it runs.
func (c *Child) ExitErr() error {
	if !c.Exited() {
		return nil
	}
	return c.werr
}

// Paused reports whether the child is stopped by a SIGSTOP sent through
// Signal (and not continued since).
func (c *Child) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused && !c.Exited()
}

// Wait waits until the child has exited, at most d, and reports whether
// it has.
func (c *Child) Wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-t.C:
		return false
	}
}

// Signal sends sig to the child's process group. An exited child takes
// SIGKILL and SIGCONT as no-ops and refuses the rest with ErrExited.
// Signal returns once the kernel has acted: stopped for SIGSTOP, running
// again for SIGCONT, exited and reaped for SIGKILL (so Exited is true
// when it returns).
func (c *Child) Signal(sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return c.kill()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Exited() {
		if sig == syscall.SIGCONT {
			return nil
		}
		return ErrExited
	}
	if err := syscall.Kill(-c.PID(), sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to process group %d: %w", sig, c.PID(), err)
	}
	switch sig {
	case syscall.SIGSTOP:
		c.paused = true
	case syscall.SIGCONT:
		c.paused = false
	default:
		return nil
	}
	return c.settle(sig == syscall.SIGSTOP)
}

// killWait bounds how long Signal(SIGKILL) waits for the child to be
// gone: a process dies when it is next scheduled and only after the
// kernel has freed its memory, which for a JVM with a large heap on a
// loaded machine takes seconds. Longer than this, it is stuck in the
// kernel.
const killWait = 30 * time.Second

// kill sends SIGKILL to the child's group and waits until the child is
// reaped. Whoever checks a kill right after it (a fault's verify step)
// must find the process gone, not one still tearing down with its
// listening socket open. The lock is not held while waiting, so the
// child's state can be read meanwhile.
func (c *Child) kill() error {
	c.mu.Lock()
	if c.Exited() {
		c.mu.Unlock()
		return nil
	}
	err := syscall.Kill(-c.PID(), syscall.SIGKILL)
	c.mu.Unlock()
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to process group %d: %w", syscall.SIGKILL, c.PID(), err)
	}
	if !c.Wait(killWait) {
		return fmt.Errorf("process %d has not exited %s after SIGKILL", c.PID(), killWait)
	}
	return nil
}

// settle waits until the kernel has stopped (stop) or continued the
// child: kill returns once the signal is queued, and the process changes
// state only when it is next scheduled — on a loaded machine, visibly
// later. Whoever says "paused" must have seen state T. It gives the
// kernel 5 s, as the SSH hosts' verify does.
func (c *Child) settle(stop bool) error {
	var st Stat
	for range 500 {
		var err error
		if st, err = ReadStat(c.PID()); err != nil || st.State == 'Z' {
			return nil // exited: nothing left to stop or continue
		}
		if (st.State == 'T') == stop {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := "stopped"
	if !stop {
		want = "running again"
	}
	return fmt.Errorf("process %d is not %s 5 s after the signal (state %c)", c.PID(), want, st.State)
}

// Stop ends the child: SIGTERM to its group (and SIGCONT, so a paused
// child can act on it), then SIGKILL after grace. It returns once the
// child is gone, or an error if even SIGKILL did not end it within
// killWait (a process stuck in the kernel).
func (c *Child) Stop(grace time.Duration) error {
	if c.Exited() {
		return nil
	}
	_ = c.Signal(syscall.SIGTERM)
	_ = c.Signal(syscall.SIGCONT)
	if c.Wait(grace) {
		return nil
	}
	return c.Signal(syscall.SIGKILL)
}

// Restartable holds the current process of a program that is started
// again after it stops (a lab node killed by a fault and started by its
// revert): at most one runs at a time. The zero value holds none.
type Restartable struct {
	mu sync.Mutex
	c  *Child
}

// Start starts s unless a process runs already; started says which.
func (r *Restartable) Start(s Spec) (c *Child, started bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c != nil && !r.c.Exited() {
		return r.c, false, nil
	}
	c, err = Start(s)
	if err != nil {
		return nil, false, err
	}
	r.c = c
	return c, true, nil
}

// current is the last process started, or nil.
func (r *Restartable) current() *Child {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

// PID is the running process's pid, or 0 when none runs.
func (r *Restartable) PID() int {
	if c := r.current(); c != nil && !c.Exited() {
		return c.PID()
	}
	return 0
}

// Paused reports whether the running process is paused (Child.Paused).
func (r *Restartable) Paused() bool {
	c := r.current()
	return c != nil && c.Paused()
}

// Signal signals the running process as Child.Signal does; with none
// running, SIGKILL and SIGCONT are no-ops and the rest ErrExited.
func (r *Restartable) Signal(sig syscall.Signal) error {
	if c := r.current(); c != nil {
		return c.Signal(sig)
	}
	if sig == syscall.SIGKILL || sig == syscall.SIGCONT {
		return nil
	}
	return ErrExited
}

// Wait waits at most d until no process runs, and reports whether none
// does.
func (r *Restartable) Wait(d time.Duration) bool {
	c := r.current()
	return c == nil || c.Wait(d)
}

// Stop stops the running process, if any (Child.Stop).
func (r *Restartable) Stop(grace time.Duration) error {
	if c := r.current(); c != nil {
		return c.Stop(grace)
	}
	return nil
}
