package proc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"unsafe"
)

func TestStatOfRealProcesses(t *testing.T) {
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := ReadStat(self.PID); err != nil || !self.Running() || !Alive(self.PID) || st.State == 'Z' || st.State == 'T' {
		t.Fatalf("this process: %+v %v running=%v alive=%v", st, err, self.Running(), Alive(self.PID))
	}
	if (ID{PID: self.PID, Start: self.Start + 1}).Running() {
		t.Fatal("an ID with another start time (a recycled pid) counts as running")
	}

	// A command name with spaces and parentheses must not shift fields.
	dir := t.TempDir()
	odd := dir + "/a b) (c"
	if err := os.Symlink("/bin/sleep", odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer cmd.Process.Kill()
	start, err := StartTime(pid)
	if err != nil || start < self.Start {
		t.Fatalf("StartTime(child) = %d, %v; want ≥ this process's %d", start, err, self.Start)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err != nil || !ws.Stopped() {
		t.Fatalf("wait for the stop: %v %v", err, ws)
	}
	if st, err := ReadStat(pid); err != nil || st.State != 'T' || !Alive(pid) {
		t.Fatalf("SIGSTOPped child: %+v %v alive=%v", st, err, Alive(pid))
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	waitExitedUnreaped(t, pid)
	if st, err := ReadStat(pid); err != nil || st.State != 'Z' || Alive(pid) || (ID{PID: pid, Start: start}).Running() {
		t.Fatalf("killed, unreaped child: %+v %v alive=%v", st, err, Alive(pid))
	}
	_ = cmd.Wait()
	if _, err := ReadStat(pid); err == nil || Alive(pid) {
		t.Fatalf("reaped child still has a stat (%v) or counts as alive", err)
	}
}

// waitExitedUnreaped blocks until pid has exited and leaves it a zombie
// (waitid with WNOWAIT; the syscall package has no wrapper).
func waitExitedUnreaped(t *testing.T, pid int) {
	t.Helper()
	const pPID, wNoWait = 1, 0x1000000
	var info [128]byte
	if _, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|wNoWait, 0, 0); e != 0 {
		t.Fatalf("waitid %d: %v", pid, e)
	}
}
