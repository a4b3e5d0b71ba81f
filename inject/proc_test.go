package inject

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func itoa(i int) string { return strconv.Itoa(i) }

// startProcess starts argv and kills it at cleanup.
func startProcess(t testing.TB, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Kill)
		cmd.Wait()
	})
	return cmd
}

// procStateOf reads the state letter of pid from /proc ("" when gone).
func procStateOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0]
}

// guardFiles lists the state files a fault left in the guard directories.
func guardFiles(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, d := range []string{"/run/gameday", "/tmp/gameday-guards"} {
		m, _ := filepath.Glob(filepath.Join(d, id+".*"))
		out = append(out, m...)
	}
	return out
}
