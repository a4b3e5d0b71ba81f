package timeline

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// mermaidDir holds the Node script that parses Mermaid blocks with the real
// Mermaid parser; `make mermaid` installs its packages (npm ci) and runs
// this test.
const mermaidDir = "../scripts/mermaid"

// Every Mermaid block gameday writes parses with Mermaid itself (and every
// gantt task gets valid dates from it): the fixtures' reports, the 8-hour
// session's, and one whose probe, host and fault names hold everything
// Mermaid treats as syntax.
func TestMermaidBlocksParse(t *testing.T) {
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(mermaidDir, "node_modules", "mermaid")); err != nil || serr != nil {
		if os.Getenv("GAMEDAY_MERMAID") != "" {
			t.Fatalf("GAMEDAY_MERMAID is set but node or %s/node_modules is missing: run make mermaid", mermaidDir)
		}
		t.Skip("needs node and the Mermaid packages: make mermaid")
	}
	odd := []Event{
		SessionInfo{Source: "tui", Title: `odd "names": #1; 100%`}.StartEvent(),
		{Kind: FaultArming, Data: &FaultData{FaultID: "f:1", Kind: "late;ncy #2", Hosts: []string{"host:1", "h%2"}}},
		{Kind: ProbeWindow, Data: &Reading{Probe: `redis.latency`, Target: `a "quoted": target; #x %y`, Status: StatusBreach, Value: 3, Unit: `m"s`}},
		{Kind: ProbeBreach, Data: &Reading{Probe: `redis.latency`, Target: `a "quoted": target; #x %y`}},
		{Kind: ProbeWindow, Data: &Reading{Probe: `redis.latency`, Target: `a "quoted": target; #x %y`, Status: StatusOK, Value: 1, Unit: `m"s`}},
		{Kind: FaultReverted, Data: &FaultData{FaultID: "f:1"}},
	}
	for i := range odd {
		odd[i].Seq, odd[i].Time = uint64(i+1), t0.Add(time.Duration(i)*1500*time.Millisecond+24*time.Hour-2*time.Second)
	}
	reports := map[string][]Event{
		"gameday.md": loadFixture(t), "membership.md": loadMembership(t), "odd.md": odd,
	}
	if !testing.Short() {
		reports["eight-hours.md"] = EightHours(8, 20, 50)
	}
	dir := t.TempDir()
	args := []string{filepath.Join(mermaidDir, "check.mjs")}
	for name, evs := range reports {
		var md bytes.Buffer
		if err := WriteMarkdown(&md, evs, ReportOptions{}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, md.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	out, err := exec.Command(node, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("Mermaid rejects a block: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}
