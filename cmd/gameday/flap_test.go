package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// TestFlapOnTheLabMasterAnswersTheSeedsQuestion runs the shipped
// examples/redis-flap.yaml on the lab, with the Redis lost-write probe
// added to the lab's inventory, and reads what a user asks from the
// report: did Sentinel promote, how many switches, did any acknowledged
// write get lost — and how many times the flap toggled, which the report
// counts from the journal's verified toggles. The verdict is not judged:
// the figures are what this test is about.
func TestFlapOnTheLabMasterAnswersTheSeedsQuestion(t *testing.T) {
	if testing.Short() {
		t.Skip("flaps the master of a real lab; skipped with -short")
	}
	bin := buildGameday(t, t.TempDir())
	dir := userLab(t, bin)
	inv, err := targets.Load(filepath.Join(dir, "inventory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	inv.Services.Redis[0].Probes["integrity"] = targets.ProbeConfig{Thresholds: []string{"lost == 0"}}
	// The steady state before the flap must not hang on this machine's
	// load: the lab's 50 ms p99 is not what this test measures.
	inv.Services.Redis[0].Probes["latency"] = targets.ProbeConfig{Thresholds: []string{"p99 < 5s"}}
	b, err := yaml.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	invPath := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(invPath, b, 0o600); err != nil {
		t.Fatal(err)
	}

	state := t.TempDir()
	journal, report := filepath.Join(state, "run.jsonl"), filepath.Join(state, "r.md")
	cmd := exec.Command(bin, "run", filepath.Join("..", "..", "examples", "redis-flap.yaml"), "-i", invPath,
		"--journal", journal, "--report", report)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	out, err := cmd.CombinedOutput()
	t.Logf("gameday run:\n%s", out)
	var exit *exec.ExitError
	deviated := errors.As(err, &exit) && exit.ExitCode() == ExitFailed && strings.Contains(string(out), "verdict: deviated")
	if err != nil && !deviated {
		t.Fatalf("gameday run: %v", err)
	}

	// The journal's own account: toggles and switches.
	evs, _, err := timeline.LoadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	var cuts, heals, switches int
	var faultID string
	for _, e := range evs {
		switch e.Kind {
		case timeline.FaultToggle:
			tg := e.Fault().Toggle
			faultID = e.Fault().FaultID
			if tg.State == "cut" {
				cuts++
			} else if tg.State == "healed" {
				heals++
			}
		case timeline.FaultArmed:
			faultID = e.Fault().FaultID
		case timeline.SentinelSwitch:
			switches++
		}
	}
	// 40 s of 3s/2s: eight cycles, give or take the toggles' own time.
	if cuts < 4 || heals < 4 {
		t.Errorf("the journal holds %d verified cuts and %d heals of a 40 s 3s/2s flap, want at least 4 each", cuts, heals)
	}

	// The report, as export writes it.
	xout, err := exec.Command(bin, "export", journal, "--format", "json").Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var doc struct {
		Faults []timeline.FaultReport `json:"faults"`
	}
	if err := json.Unmarshal(xout, &doc); err != nil {
		t.Fatal(err)
	}
	var f *timeline.FaultReport
	for i := range doc.Faults {
		if doc.Faults[i].ID == faultID {
			f = &doc.Faults[i]
		}
	}
	if f == nil || f.Flap == nil {
		t.Fatalf("the report has no flap figures for %s: %+v", faultID, doc.Faults)
	}
	if f.Flap.Cuts != cuts || f.Flap.Heals != heals || f.Flap.Failed != 0 {
		t.Errorf("report: flap %+v; the journal: %d cuts, %d heals", *f.Flap, cuts, heals)
	}
	if len(f.Redis) != 1 {
		t.Fatalf("the report has no Redis figures for the flap: %+v", f.Redis)
	}
	rf := f.Redis[0]
	if rf.Switches > switches {
		t.Errorf("report: %d switches during the flap, the journal holds %d in all", rf.Switches, switches)
	}
	lost := -1.0
	for _, p := range f.Impact {
		if strings.HasPrefix(p.Probe, "redis.integrity") && p.Max != nil {
			lost = p.Max.Value
		}
	}
	if lost < 0 {
		t.Fatalf("the report has no lost-write figure (redis.integrity) for the flap: %+v", f.Impact)
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if row := fmt.Sprintf("| Flap (verified toggles) | %d cuts, %d heals |", cuts, heals); !strings.Contains(string(md), row) {
		t.Errorf("the markdown report lacks %q", row)
	}
	promoted := "no"
	if rf.Failover != nil {
		promoted = fmt.Sprintf("yes, %s after the flap began (new master %s)", timeline.Took(*rf.Failover), rf.NewMaster)
	}
	t.Logf("flap 3s/2s for 40 s on the lab's master: %d verified cuts, %d heals; Sentinel promoted: %s; switches: %d; acknowledged writes lost (worst window): %g",
		cuts, heals, promoted, rf.Switches, lost)
}
