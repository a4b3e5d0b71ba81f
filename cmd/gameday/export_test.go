package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/drills"
	"github.com/gameday-dev/gameday/timeline"
)

const (
	exportFixture   = "../../timeline/testdata/gameday.jsonl"
	exportGolden    = "../../timeline/testdata/gameday.md"
	exportTruncated = "../../timeline/testdata/truncated.jsonl"
)

func TestNewCmdExport(t *testing.T) {
	tests := map[string]struct {
		args    []string
		want    ExportOptions
		wantErr string
	}{
		"journal only": {
			args: []string{"j.jsonl"},
			want: ExportOptions{Journal: "j.jsonl", Format: "markdown"},
		},
		"output, format and title": {
			args: []string{"j.jsonl", "-o", "t.json", "--format", "json", "--title", "Drill", "--all"},
			want: ExportOptions{Journal: "j.jsonl", Output: "t.json", Format: "json", Title: "Drill", All: true},
		},
		"last session": {
			args: []string{"--last", "-o", "t.md"},
			want: ExportOptions{Last: true, Output: "t.md", Format: "markdown"},
		},
		"journal and --last": {
			args:    []string{"j.jsonl", "--last"},
			wantErr: "give a JOURNAL file or --last, not both",
		},
		"unknown format": {
			args:    []string{"j.jsonl", "--format", "xml"},
			wantErr: `--format "xml": must be markdown or json`,
		},
		"no journal": {
			args:    nil,
			wantErr: "export needs exactly one JOURNAL file (or --last), got 0 arguments",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, _, _ := testStreams()
			var got *ExportOptions
			cmd := NewCmdExport(ios, func(o *ExportOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || got != nil {
					t.Fatalf("err = %v (ran: %v), want %q", err, got != nil, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tc.want {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestExportRun(t *testing.T) {
	golden, err := os.ReadFile(exportGolden)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope.jsonl")
	dir := t.TempDir()
	notJournal := filepath.Join(dir, "random.bin")
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	os.WriteFile(notJournal, random, 0o600)
	damaged := filepath.Join(dir, "damaged.jsonl")
	good, _ := os.ReadFile(exportFixture)
	first, _, _ := strings.Cut(string(good), "\n")
	os.WriteFile(damaged, []byte(first+"\n"+strings.Repeat("\x1b[2J\x07\xff garbage\n", 300)), 0o600)
	tests := map[string]struct {
		args       []string
		wantCode   int
		wantOut    func(t *testing.T, out string)
		wantErrOut string // whole stderr
	}{
		"markdown to stdout matches the golden report": {
			args:     []string{"export", exportFixture},
			wantCode: ExitOK,
			wantOut: func(t *testing.T, out string) {
				if out != string(golden) {
					t.Errorf("stdout differs from %s", exportGolden)
				}
			},
		},
		"json to stdout": {
			args:     []string{"export", exportFixture, "--format", "json"},
			wantCode: ExitOK,
			wantOut: func(t *testing.T, out string) {
				var doc struct {
					Format string            `json:"format"`
					Faults []json.RawMessage `json:"faults"`
					Events []json.RawMessage `json:"events"`
				}
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Fatalf("stdout is not JSON: %v", err)
				}
				if doc.Format != "gameday.report/v2" || len(doc.Faults) != 3 || len(doc.Events) != 200 {
					t.Errorf("document: format %q, %d faults, %d events", doc.Format, len(doc.Faults), len(doc.Events))
				}
			},
		},
		"truncated journal warns and still exports": {
			args:       []string{"export", exportTruncated},
			wantCode:   ExitOK,
			wantErrOut: "warning: " + exportTruncated + ":200: last line is incomplete (crash while writing?); 199 events kept\n",
			wantOut: func(t *testing.T, out string) {
				if !strings.Contains(out, "> **Warning:** truncated.jsonl:200: last line is incomplete") ||
					!strings.Contains(out, "| Events | 199 (") {
					t.Errorf("report lacks the warning or the kept events:\n%.600s", out)
				}
			},
		},
		"a file with no event is one sentence": {
			args:       []string{"export", notJournal},
			wantCode:   ExitBadInput,
			wantErrOut: "gameday: " + notJournal + " is not a gameday journal: it is a binary file\n",
		},
		"a damaged journal's warnings are capped and escaped": {
			args:     []string{"export", damaged},
			wantCode: ExitOK,
			wantErrOut: "warning: " + damaged + ":2: skipped: not valid JSON at column 1: invalid character '\\x1b' at start of value\n" +
				"warning: " + damaged + ":3: skipped: not valid JSON at column 1: invalid character '\\x1b' at start of value\n" +
				"warning: " + damaged + ":4: skipped: not valid JSON at column 1: invalid character '\\x1b' at start of value\n" +
				"warning: " + damaged + ":5: skipped: not valid JSON at column 1: invalid character '\\x1b' at start of value\n" +
				"warning: " + damaged + ":6: skipped: not valid JSON at column 1: invalid character '\\x1b' at start of value\n" +
				"warning: and 295 more problems in " + damaged + "\n",
		},
		"missing journal": {
			args:       []string{"export", missing},
			wantCode:   ExitBadInput,
			wantErrOut: "gameday: journal " + missing + " does not exist\n",
		},
		"a directory is not a journal": {
			args:       []string{"export", dir},
			wantCode:   ExitBadInput,
			wantErrOut: "gameday: cannot read journal " + dir + ": is a directory\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, out, errOut := testStreams()
			if code := run(tc.args, ios); code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, errOut)
			}
			if errOut.String() != tc.wantErrOut {
				t.Errorf("stderr = %q, want %q", errOut, tc.wantErrOut)
			}
			if tc.wantOut != nil {
				tc.wantOut(t, out.String())
			}
		})
	}
}

func TestExportToFile(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "timeline.md")
	if err := os.WriteFile(dest, []byte("an older report"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := testStreams()
	if code := run([]string{"export", exportFixture, "-o", dest}, ios); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	golden, _ := os.ReadFile(exportGolden)
	if string(got) != string(golden) || out.Len() != 0 {
		t.Errorf("file differs from the golden report, or stdout not empty (%d bytes)", out.Len())
	}
	if want := "wrote " + dest + " (200 events)\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
	if st, _ := os.Stat(dest); st.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600 like every report gameday writes", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the report (no temporary file left)", len(entries))
	}
}

func TestExportLast(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	ios, _, out, errOut := testStreams()
	if code := run([]string{"export", "--last"}, ios); code != ExitBadInput ||
		errOut.String() != "gameday: no session journal in "+filepath.Join(state, "gameday", "sessions")+"\n" {
		t.Fatalf("no sessions: exit %d, stderr %q", code, errOut)
	}
	base := time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)
	for i, title := range []string{"older drill", "latest drill"} {
		at := base.Add(time.Duration(i) * time.Minute)
		s, err := timeline.OpenSession("", timeline.SessionInfo{Title: title}, timeline.WithClock(func() time.Time { return at }))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close("done"); err != nil {
			t.Fatal(err)
		}
	}
	ios, _, out, errOut = testStreams()
	if code := run([]string{"export", "--last"}, ios); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out.String(), "# latest drill\n") {
		t.Errorf("exported %.40q, want the latest session", out)
	}
}

// A journal that two runs appended to exports the last run, unless --all.
func TestExportAppendedJournal(t *testing.T) {
	one, err := os.ReadFile(exportFixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "appended.jsonl")
	second := `{"seq":1,"time":"2026-11-25T09:00:00Z","kind":"session.start","source":"run","summary":"session started","data":{"title":"second run"}}` + "\n"
	if err := os.WriteFile(path, append(one, second...), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		args      []string
		wantTitle string
		wantNote  bool
	}{
		"last session by default": {[]string{"export", path}, "# second run\n", true},
		"all sessions with --all": {[]string{"export", path, "--all"}, "# Redis latency game day\n", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, out, errOut := testStreams()
			if code := run(tc.args, ios); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.HasPrefix(out.String(), tc.wantTitle) {
				t.Errorf("report starts %.40q, want %q", out, tc.wantTitle)
			}
			note := path + " holds 2 sessions; exporting the last one (--all reports them together)\n"
			if got := errOut.String() == note; got != tc.wantNote {
				t.Errorf("stderr = %q, want the note: %v", errOut, tc.wantNote)
			}
		})
	}
}

// TestExportDrill: the export of a drill's journal ends with the drill's
// truths and score table (drills.WriteReport, the figures of
// drills.Score), and its JSON export has the same board as "drill"; a
// journal without a drill has no such section (TestExportToFile:
// byte-equal to its golden).
func TestExportDrill(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "drill.jsonl")
	j, err := timeline.OpenJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	rec := timeline.NewRecorder(timeline.WithSink(j))
	rec.Record(timeline.NewEvent(drills.KindStart, "drill", "drill d started").WithData(drills.StartData{Drill: "d", Scenarios: 1}))
	plan := drills.Plan{Drill: "d", Seed: 1 << 60, Picks: []drills.Pick{{Name: "cache", Kind: "kill", Hosts: []string{"role:master"}, Of: 2, ArmAfter: 1000}}}
	rec.Record(timeline.NewEvent(drills.KindPlan, "drill", "hidden plan").WithData(plan))
	rec.Record(timeline.NewEvent(timeline.SessionJoin, "serve", "dave joined as trainee").With("person", "dave").With("role", "trainee"))
	rec.Record(timeline.NewEvent(drills.KindScenario, "drill", "scenario 1 begins").WithData(drills.ScenarioData{Name: "cache", Phase: drills.PhaseBegin}))
	rec.Record(timeline.NewEvent(drills.KindScenario, "drill", "scenario 1 armed").WithData(drills.ScenarioData{Name: "cache", Phase: drills.PhaseArmed, FaultID: "F1", Kind: "kill", Hosts: []string{"redis-1"}}))
	rec.Record(timeline.NewEvent(drills.KindDiagnosis, "dave", "diagnosis").WithData(drills.DiagnosisData{Person: "dave", Hosts: []string{"redis-1"}, Kind: "kill"}))
	rec.Record(timeline.NewEvent(drills.KindMitigated, "dave", "mitigated").WithData(drills.MitigatedData{Person: "dave"}))
	rec.Record(timeline.NewEvent(drills.KindConfirmed, "tom", "confirmed").WithData(drills.ConfirmedData{Person: "dave", By: "tom", FaultID: "F1"}))
	rec.Record(timeline.NewEvent(drills.KindScenario, "drill", "scenario 1 ends").WithData(drills.ScenarioData{Name: "cache", Phase: drills.PhaseEnd, Reason: "mitigated by dave"}))
	rec.Record(timeline.NewEvent(drills.KindEnd, "drill", "drill d ended").WithData(drills.EndData{Drill: "d", Reason: "finished", Plan: plan}))
	rec.Close()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := testStreams()
	if code := run([]string{"export", journal}, ios); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	events, _, _ := timeline.LoadJournal(journal)
	b := drills.Score(events)
	for _, want := range []string{"\n## Drill d\n\nSeed 1152921504606846976; the drill ended.", b.Truths(), b.Table()} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the export lacks %q:\n%s", want, out)
		}
	}

	// The JSON export carries the same board as "drill".
	ios, _, out, errOut = testStreams()
	if code := run([]string{"export", journal, "--format", "json"}, ios); code != ExitOK {
		t.Fatalf("json: exit %d: %s", code, errOut)
	}
	var doc struct {
		Drill json.RawMessage `json:"drill"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := json.Compact(&got, doc.Drill); err != nil || got.String() != string(want) {
		t.Errorf("the JSON export's drill section (%v)\n got: %s\nwant: %s", err, doc.Drill, want)
	}
	for _, part := range []string{`"seed":"1152921504606846976"`, `"fault_id":"F1"`, `"hosts":["redis-1"]`, `"trainee":"dave"`, `"diagnosis":"right"`, `"reason":"mitigated by dave"`} {
		if !strings.Contains(got.String(), part) {
			t.Errorf("the drill section lacks %s: %s", part, got.String())
		}
	}

	// A journal without a drill has no drill section.
	ios, _, out, errOut = testStreams()
	if code := run([]string{"export", exportFixture, "--format", "json"}, ios); code != ExitOK {
		t.Fatalf("json without a drill: exit %d: %s", code, errOut)
	}
	var plain map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &plain); err != nil || plain["drill"] != nil || plain["events"] == nil {
		t.Errorf("a journal without a drill: %v, drill %s", err, plain["drill"])
	}
}
