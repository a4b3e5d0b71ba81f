package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/internal/journaltest"
	"github.com/gameday-dev/gameday/timeline"
)

func TestNewCmdReplay(t *testing.T) {
	tests := map[string]struct {
		args    []string
		want    ReplayOptions
		wantErr string
	}{
		"journal only":       {args: []string{"j.jsonl"}, want: ReplayOptions{Journal: "j.jsonl", Size: "120x36"}},
		"at and speed":       {args: []string{"j.jsonl", "--at", "+2m", "--speed", "60"}, want: ReplayOptions{Journal: "j.jsonl", At: "+2m", Speed: 60, Size: "120x36"}},
		"last, review, all":  {args: []string{"--last", "--review", "r.jsonl", "--all"}, want: ReplayOptions{Last: true, Review: "r.jsonl", All: true, Size: "120x36"}},
		"print":              {args: []string{"j.jsonl", "--print", "--size", "200x60"}, want: ReplayOptions{Journal: "j.jsonl", Print: true, Size: "200x60"}},
		"a speed it has not": {args: []string{"j.jsonl", "--speed", "7"}, wantErr: "--speed 7: the replay plays at 1×, 10×, 60×, 600×"},
		"journal and --last": {args: []string{"j.jsonl", "--last"}, wantErr: "give a JOURNAL file or --last, not both"},
		"no journal":         {wantErr: "replay needs exactly one JOURNAL file (or --last), got 0 arguments"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, _, _ := testStreams()
			var got *ReplayOptions
			cmd := NewCmdReplay(ios, func(o *ReplayOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// Bad input is one sentence naming the file, exit 2, and writes nothing
// beside it.
func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	drill := journaltest.Write(t, "drill.jsonl", journaltest.Drill())
	yaml := write("inventory.yaml", "hosts:\n  - name: redis-1\n    address: 10.0.0.1\n")
	empty := write("empty.jsonl", "")
	binary := write("core.bin", "\x7fELF\x02\x01\x01\x00\x00\x00\n\x00\x00\x03\x00>\x00\x01\n")
	corrupt := write("corrupt.jsonl", strings.Repeat(`{"seq":1,"time":"2026-11-25T14:00:00Z","summary":"no kind"}`+"\n", 4))
	review := write("drill2.review.jsonl", "")
	missing := filepath.Join(dir, "nope.jsonl")
	tests := map[string]struct {
		args []string
		want string
	}{
		"not a journal": {[]string{"replay", yaml}, "gameday: " + yaml + " is not a gameday journal: no event in its 3 lines (line 1: not valid JSON at column 1: invalid character 'h' at start of value)\n"},
		"empty":         {[]string{"replay", empty}, "gameday: " + empty + " is not a gameday journal: it is empty\n"},
		"binary":        {[]string{"replay", binary}, "gameday: " + binary + " is not a gameday journal: it is a binary file\n"},
		"all corrupt":   {[]string{"replay", corrupt}, "gameday: " + corrupt + ` is not a gameday journal: no event in its 4 lines (line 1: not an event: field "kind" is missing)` + "\n"},
		"missing":       {[]string{"replay", missing}, "gameday: journal " + missing + " does not exist\n"},
		"a review":      {[]string{"replay", review}, "gameday: " + review + " holds review notes, not a session: replay the journal it reviews (" + filepath.Join(dir, "drill2.jsonl") + ")\n"},
		"at outside":    {[]string{"replay", drill, "--at", "15:00", "--print"}, "gameday: --at 15:00: the session runs from 2026-11-25 14:00:00 to 2026-11-25 14:06:00 (UTC)\n"},
		"at unreadable": {[]string{"replay", drill, "--at", "soon", "--print"}, "gameday: --at soon: give a time of day (14:02:04), an RFC 3339 time or +OFFSET from the start (+2m)\n"},
		"no terminal":   {[]string{"replay", drill}, "gameday: the replay needs a terminal on standard input; gameday replay --print prints one screen without it\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, out, errOut := testStreams()
			if code := run(tc.args, ios); code != ExitBadInput {
				t.Fatalf("exit %d, want %d; stderr %q", code, ExitBadInput, errOut)
			}
			if errOut.String() != tc.want {
				t.Errorf("stderr\n got %q\nwant %q", errOut, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("%d files beside the journals, want the 5 written by the test", len(entries))
	}
}

// --print shows the screen at --at: at the switch, the new master and the
// red latency row, as the journal says they were.
func TestReplayPrintsTheScreenAtTheCursor(t *testing.T) {
	drill := journaltest.Write(t, "drill.jsonl", journaltest.Drill())
	ios, _, out, errOut := testStreams()
	if code := run([]string{"replay", drill, "--at", "+2m5s", "--print"}, ios); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	screen := out.String()
	for _, want := range []string{"Replay  14:02:05", "127.0.0.1:16380", "SWITCHED", "f-0001", "> 14:02:04 sentinel.switch"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the screen lacks %q:\n%s", want, screen)
		}
	}
	if lines := strings.Split(strings.TrimRight(screen, "\n"), "\n"); len(lines) != 36 {
		t.Errorf("the screen has %d lines, want 36", len(lines))
	}
}

// export includes the review notes found beside the journal, marked, and
// leaves them out with --no-review; --review names another file.
func TestExportIncludesReviewNotes(t *testing.T) {
	drill := journaltest.Write(t, "drill.jsonl", journaltest.Drill())
	note := timeline.NewEvent(timeline.Note, timeline.ReviewSource, "why did the switch take 4 s?")
	note.Time, note.By = journaltest.DrillStart.Add(journaltest.DrillSwitch), "ben"
	review := strings.TrimSuffix(drill, ".jsonl") + ".review.jsonl"
	j, err := timeline.OpenJournal(review)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.AppendBatch([]timeline.Event{timeline.SessionInfo{Source: timeline.ReviewSource}.StartEvent(), note}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	elsewhere := filepath.Join(t.TempDir(), "other.jsonl")
	if err := os.Rename(review, elsewhere); err != nil {
		t.Fatal(err)
	}
	const marked = "— review note: why did the switch take 4 s? (ben)"
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"export", drill}, false},
		{[]string{"export", drill, "--review", elsewhere}, true},
	} {
		ios, _, out, errOut := testStreams()
		if code := run(tc.args, ios); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		if got := strings.Contains(out.String(), marked); got != tc.want {
			t.Errorf("%v: the report holds the marked review note: %v, want %v", tc.args, got, tc.want)
		}
	}
	if err := os.Rename(elsewhere, review); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"export", drill}, true},
		{[]string{"export", drill, "--no-review"}, false},
	} {
		ios, _, out, errOut := testStreams()
		if code := run(tc.args, ios); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		if got := strings.Contains(out.String(), marked); got != tc.want {
			t.Errorf("%v: the report holds the marked review note: %v, want %v", tc.args, got, tc.want)
		}
		if tc.want && !strings.Contains(errOut.String(), "including 1 review notes from "+review) {
			t.Errorf("%v: stderr does not say the review notes are in: %q", tc.args, errOut)
		}
	}
}

// A journal cut short by a crash replays up to its last whole event with
// the warning the export gives; one from a newer gameday says so once.
func TestReplayWarnsOnceAboutATornOrNewerJournal(t *testing.T) {
	drill := journaltest.Write(t, "drill.jsonl", journaltest.Drill())
	whole, err := os.ReadFile(drill)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(whole) * 2 / 3
	torn := filepath.Join(t.TempDir(), "torn.jsonl")
	if err := os.WriteFile(torn, whole[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(whole[:cut]), "\n") + 1
	newer := filepath.Join(t.TempDir(), "newer.jsonl")
	if err := os.WriteFile(newer, []byte(strings.Replace(string(whole), `"format":2`, `"format":9`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		journal, warning string
	}{
		"torn":  {torn, fmt.Sprintf("%s:%d: last line is incomplete (crash while writing?); %d events kept", torn, lines, lines-1)},
		"newer": {newer, newer + ":1: written by a newer gameday (journal format 9; this one reads format 2): what it does not know is shown as recorded"},
	} {
		t.Run(name, func(t *testing.T) {
			ios, _, out, errOut := testStreams()
			if code := run([]string{"replay", tc.journal, "--print", "--size", "200x40"}, ios); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if errOut.String() != "warning: "+tc.warning+"\n" {
				t.Errorf("stderr %q, want the one warning %q", errOut, tc.warning)
			}
			if !strings.Contains(out.String(), "warning: "+filepath.Base(tc.journal)) && !strings.Contains(out.String(), "warning: "+tc.journal[:20]) {
				t.Errorf("the status bar does not carry the warning:\n%s", out)
			}
		})
	}
}
