package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gameday-dev/gameday/internal/proc"
)

// TestReadPidfile: a lab runs from a dir only while its pidfile names a
// live process by pid and start time; anything else is no lab, which lab
// up claims again.
func TestReadPidfile(t *testing.T) {
	self, err := proc.Self()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		content string // "" for no pidfile
		want    int
	}{
		"no pidfile":         {"", 0},
		"this process":       {fmt.Sprintf("%d %d", self.PID, self.Start), self.PID},
		"another start time": {fmt.Sprintf("%d %d", self.PID, self.Start+1), 0},
		"torn":               {"12", 0},
		"not numbers":        {"pid start", 0},
		"negative pid":       {"-4 100", 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content != "" {
				if err := os.WriteFile(filepath.Join(dir, pidfileName), []byte(tc.content+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readPidfile(dir)
			if err != nil || got != tc.want {
				t.Fatalf("readPidfile = %d, %v; want %d", got, err, tc.want)
			}
			if err := claimPidfile(dir); err != nil {
				t.Fatalf("claimPidfile: %v", err)
			}
			if got, err := readPidfile(dir); err != nil || got != os.Getpid() {
				t.Fatalf("after the claim readPidfile = %d, %v; want this process", got, err)
			}
		})
	}
}
