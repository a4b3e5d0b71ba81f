package inject

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

const libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

// TestClockDriftLabOffsetsMoveALibfaketimeClock writes the offsets the lab
// plan asks for into a libfaketime control file, as the lab does, and reads
// the clock of a real process under libfaketime. (The lab itself cannot run
// Debian's jemalloc-linked redis-server under libfaketime: it deadlocks at
// load, so this checks the plan against the library directly.)
func TestClockDriftLabOffsetsMoveALibfaketimeClock(t *testing.T) {
	if _, err := os.Stat(libfaketime); err != nil {
		t.Fatalf("libfaketime is not installed (%v): scripts/deps.sh installs it", err)
	}
	file := filepath.Join(t.TempDir(), "node.faketime")
	clock := func() float64 {
		cmd := exec.Command("date", "+%s.%N")
		cmd.Env = append(os.Environ(), "LD_PRELOAD="+libfaketime, "FAKETIME_TIMESTAMP_FILE="+file, "FAKETIME_NO_CACHE=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("date under libfaketime: %v", err)
		}
		f, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		return f - float64(time.Now().UnixNano())/1e9
	}
	host := targets.Host{Name: "redis-1", Lab: &targets.LabNode{Kind: "redis", FaketimeFile: file}}
	for _, offset := range []string{"-90s", "+45s", "+1.5s", "-2m"} {
		t.Run(offset, func(t *testing.T) {
			f, err := ParseFault("clock-drift", map[string]string{"offset": offset})
			if err != nil {
				t.Fatal(err)
			}
			lp, err := f.LabPlan(PlanTarget{ID: "c10c0001", Host: host})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := time.ParseDuration(strings.TrimPrefix(offset, "+"))
			os.WriteFile(file, []byte(lp.Inject[0].Offset+"\n"), 0o600)
			if got := clock(); math.Abs(got-want.Seconds()) > 1 {
				t.Errorf("clock off by %.2fs with offset %q, want %s ±1s", got, lp.Inject[0].Offset, want)
			}
			os.WriteFile(file, []byte(lp.Revert[0].Offset+"\n"), 0o600)
			if got := clock(); math.Abs(got) > 1 {
				t.Errorf("clock off by %.2fs after revert offset %q, want 0 ±1s", got, lp.Revert[0].Offset)
			}
		})
	}
}
