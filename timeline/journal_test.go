package timeline

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var t0 = time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)

// sampleEvents returns n events of assorted shapes, stamped one second apart.
func sampleEvents(n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		e := NewEvent(ProbeWindow, "probe", "window %d — p99 ok ✓", i).
			With("p99", float64(i)+0.5).
			With("hosts", []any{"redis-1", "redis-2"}).
			With("params", map[string]any{"delay": "500ms"})
		e.Seq = uint64(i + 1)
		e.Time = t0.Add(time.Duration(i) * time.Second)
		e.Host = "redis-1"
		evs[i] = e
	}
	return evs
}

func writeJournal(t *testing.T, path string, evs []Event) {
	t.Helper()
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// roundTrip is what an event looks like after a trip through JSON.
func roundTrip(t *testing.T, evs []Event) []Event {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rt.jsonl")
	writeJournal(t, path, evs)
	got, warns, err := LoadJournal(path)
	if err != nil || len(warns) > 0 {
		t.Fatalf("round trip: %v %v", err, warns)
	}
	return got
}

func TestJournalModesAndRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "sessions")
	path := filepath.Join(dir, "j.jsonl")
	evs := sampleEvents(5)
	writeJournal(t, path, evs)

	for p, want := range map[string]fs.FileMode{dir: 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", p, got, want)
		}
	}
	got, warns, err := LoadJournal(path)
	if err != nil || len(warns) != 0 {
		t.Fatalf("LoadJournal: %v, warnings %v", err, warns)
	}
	if len(got) != len(evs) {
		t.Fatalf("loaded %d events, want %d", len(got), len(evs))
	}
	for i, e := range got {
		if e.Seq != evs[i].Seq || !e.Time.Equal(evs[i].Time) || e.Summary != evs[i].Summary ||
			e.Reading().P99 != evs[i].Reading().P99 || e.Host != "redis-1" {
			t.Errorf("event %d = %+v, want %+v", i, e, evs[i])
		}
	}
	raw, _ := os.ReadFile(path)
	if n := strings.Count(string(raw), "\n"); n != len(evs) {
		t.Errorf("journal has %d lines, want one per event (%d)", n, len(evs))
	}
}

func TestJournalTightensExistingFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	writeJournal(t, path, sampleEvents(1))
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 0600", st.Mode().Perm())
	}
}

// A journal torn by a crash and then reopened (the next session appends)
// must lose only the torn line, not the first event written after it.
func TestJournalReopenAfterTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	evs := sampleEvents(3)
	writeJournal(t, path, evs[:2])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":99,"time":"2026-11-25T08:`)
	f.Close()
	writeJournal(t, path, evs[2:])

	got, warns, err := LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Seq != 3 {
		t.Fatalf("loaded %d events (%+v), want the 3 whole ones", len(got), got)
	}
	if len(warns) != 1 || warns[0].Line != 3 || !strings.HasPrefix(warns[0].String(), path+":3: skipped: ") {
		t.Errorf("warnings = %v, want one naming %s:3", warns, path)
	}
}

func TestJournalDropsSecretKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	e := NewEvent(FaultArmed, "inject", "armed").
		With("password", "hunter2").
		With("params", map[string]any{"auth_token": "tok-123", "delay": "5s"}).
		With("identity_file", "/root/.ssh/id_ed25519")
	e.Seq, e.Time = 1, t0
	writeJournal(t, path, []Event{e})
	raw, _ := os.ReadFile(path)
	for _, secret := range []string{"hunter2", "tok-123", "id_ed25519"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("journal contains %q: %s", secret, raw)
		}
	}
	if !strings.Contains(string(raw), `"delay":"5s"`) {
		t.Errorf("journal lost the harmless params: %s", raw)
	}
	if e.String("password") != "hunter2" {
		t.Error("Append modified the caller's Data map")
	}
}

func TestJournalKeepsEventWithUnencodableData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	e := NewEvent(ProbeWindow, "probe", "nan").With("p99", math.NaN())
	e.Seq, e.Time = 1, t0
	writeJournal(t, path, []Event{e})
	got, warns, err := LoadJournal(path)
	if err != nil || len(warns) != 0 || len(got) != 1 {
		t.Fatalf("got %v %v %v", got, warns, err)
	}
	if got[0].String("data_error") == "" {
		t.Errorf("data = %v, want a data_error", got[0].Data)
	}
}

// Cutting the journal at every byte offset of its last line keeps every whole
// event; the one warning appears exactly when a partial line is left.
func TestLoadJournalTruncatedAtEveryOffset(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.jsonl")
	evs := sampleEvents(4)
	writeJournal(t, full, evs)
	raw, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	start := strings.LastIndexByte(string(raw[:len(raw)-1]), '\n') + 1
	want := roundTrip(t, evs)
	path := filepath.Join(dir, "journal.jsonl")
	for cut := start; cut <= len(raw); cut++ {
		if err := os.WriteFile(path, raw[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		got, warns, err := LoadJournal(path)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		// Only the newline missing still leaves a whole event.
		partial := cut > start && cut < len(raw)-1
		wantN := len(evs) - 1
		if cut >= len(raw)-1 {
			wantN = len(evs)
		}
		if !reflect.DeepEqual(got, want[:wantN]) {
			t.Fatalf("cut %d: loaded %d events, want the %d whole ones", cut, len(got), wantN)
		}
		switch {
		case partial && len(warns) != 1:
			t.Fatalf("cut %d: warnings %v, want exactly one", cut, warns)
		case partial:
			wantMsg := fmt.Sprintf("%s:%d: last line is incomplete (crash while writing?); %d events kept", path, len(evs), wantN)
			if warns[0].String() != wantMsg {
				t.Fatalf("cut %d: warning %q, want %q", cut, warns[0], wantMsg)
			}
		case len(warns) != 0:
			t.Fatalf("cut %d: unexpected warnings %v", cut, warns)
		}
	}
}

func TestLoadJournalMalformedLines(t *testing.T) {
	good := func(seq int) string {
		return fmt.Sprintf(`{"seq":%d,"time":"2026-11-25T08:30:0%dZ","kind":"note","source":"op","summary":"n%d"}`, seq, seq, seq)
	}
	tests := map[string]struct {
		lines     []string
		wantSeqs  []uint64
		wantWarns []string // "LINE: prefix"
	}{
		"garbage in the middle": {
			lines:     []string{good(1), "not json at all", good(2)},
			wantSeqs:  []uint64{1, 2},
			wantWarns: []string{"2: skipped: not valid JSON at column 2"},
		},
		"missing kind": {
			lines:     []string{good(1), `{"seq":2,"time":"2026-11-25T08:30:00Z"}`, good(3)},
			wantSeqs:  []uint64{1, 3},
			wantWarns: []string{`2: skipped: not an event: field "kind" is missing`},
		},
		"missing time": {
			lines:     []string{`{"seq":1,"kind":"note"}`, good(2)},
			wantSeqs:  []uint64{2},
			wantWarns: []string{`1: skipped: not an event: field "time" is missing`},
		},
		"wrong type": {
			lines:     []string{good(1), `{"seq":"two","time":"2026-11-25T08:30:00Z","kind":"note"}`},
			wantSeqs:  []uint64{1},
			wantWarns: []string{`2: skipped: not an event: field "/seq" holds a JSON string, not a uint64`},
		},
		"blank lines are not events": {
			lines:    []string{good(1), "", "   ", good(2)},
			wantSeqs: []uint64{1, 2},
		},
		"torn middle and torn tail": {
			lines:     []string{good(1), `{"seq":2,"ti`, good(3), `{"seq":4`},
			wantSeqs:  []uint64{1, 3},
			wantWarns: []string{"2: skipped: not valid JSON", "4: last line is incomplete (crash while writing?); 2 events kept"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			body := strings.Join(tc.lines, "\n")
			if !strings.HasPrefix(name, "torn") {
				body += "\n"
			}
			os.WriteFile(path, []byte(body), 0o600)
			got, warns, err := LoadJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if !reflect.DeepEqual(seqs, tc.wantSeqs) {
				t.Errorf("seqs = %v, want %v", seqs, tc.wantSeqs)
			}
			if len(warns) != len(tc.wantWarns) {
				t.Fatalf("warnings = %v, want %d", warns, len(tc.wantWarns))
			}
			for i, w := range warns {
				if want := path + ":" + tc.wantWarns[i]; !strings.HasPrefix(w.String(), want) {
					t.Errorf("warning %d = %q, want prefix %q", i, w, want)
				}
			}
		})
	}
}

func TestLoadJournalMissingFile(t *testing.T) {
	_, _, err := LoadJournal(filepath.Join(t.TempDir(), "nope.jsonl"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
}

func TestStateDir(t *testing.T) {
	tests := map[string]struct {
		xdg  func(tmp string) string
		want func(tmp string) string
	}{
		"XDG_STATE_HOME set": {
			xdg:  func(tmp string) string { return filepath.Join(tmp, "xdg") },
			want: func(tmp string) string { return filepath.Join(tmp, "xdg", "gameday") },
		},
		"XDG_STATE_HOME unset": {
			xdg:  func(string) string { return "" },
			want: func(tmp string) string { return filepath.Join(tmp, "home", ".local", "state", "gameday") },
		},
		"XDG_STATE_HOME relative is ignored": {
			xdg:  func(string) string { return "relative/state" },
			want: func(tmp string) string { return filepath.Join(tmp, "home", ".local", "state", "gameday") },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("HOME", filepath.Join(tmp, "home"))
			t.Setenv("XDG_STATE_HOME", tc.xdg(tmp))
			got, err := StateDir()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want(tmp) {
				t.Errorf("StateDir = %s, want %s", got, tc.want(tmp))
			}
			st, err := os.Stat(got)
			if err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("state dir: %v, mode %v, want 0700", err, st)
			}
		})
	}
}

func TestNewSessionJournalPath(t *testing.T) {
	local := time.FixedZone("CET", 3600)
	got := NewSessionJournalPath("/state", time.Date(2026, 11, 25, 9, 30, 0, 0, local))
	if want := "/state/sessions/2026-11-25T083000Z.jsonl"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestOpenSession(t *testing.T) {
	dir := t.TempDir()
	clock := WithClock(func() time.Time { return t0 })
	a, err := OpenSession(dir, SessionInfo{Source: "run", Inventory: "lab", Runbook: "redis-failover"}, clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenSession(dir, SessionInfo{Source: "tui", Inventory: "lab"}, clock)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path != NewSessionJournalPath(dir, t0) || b.Path == a.Path {
		t.Fatalf("paths %s and %s: want the stamped path, then a distinct one", a.Path, b.Path)
	}
	a.Recorder.Record(NewEvent(Note, "operator", "hello"))
	if err := a.Close("done"); err != nil {
		t.Fatal(err)
	}
	if err := b.Close("done"); err != nil {
		t.Fatal(err)
	}
	got, warns, err := LoadJournal(a.Path)
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	var kinds []Kind
	for _, e := range got {
		kinds = append(kinds, e.Kind)
	}
	if !reflect.DeepEqual(kinds, []Kind{SessionStart, Note, SessionEnd}) {
		t.Errorf("kinds = %v", kinds)
	}
	if got[0].String("inventory") != "lab" || got[0].String("runbook") != "redis-failover" || got[2].String("reason") != "done" {
		t.Errorf("start %v / end %v lack inventory, runbook or reason", got[0].Data, got[2].Data)
	}
}

func TestLatestSession(t *testing.T) {
	dir := t.TempDir()
	if _, err := LatestSession(dir); err == nil || !strings.Contains(err.Error(), "no session journal in") {
		t.Errorf("empty state dir: err = %v", err)
	}
	var last string
	for _, at := range []time.Time{t0.Add(time.Hour), t0, t0.Add(time.Hour)} {
		s, err := OpenSession(dir, SessionInfo{}, WithClock(func() time.Time { return at }))
		if err != nil {
			t.Fatal(err)
		}
		s.Close("done")
		if at.After(t0) {
			last = s.Path
		}
	}
	// Review notes on the latest session sort after it, and are not one.
	review := strings.TrimSuffix(last, ".jsonl") + ReviewSuffix
	if err := os.WriteFile(review, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LatestSession(dir)
	if err != nil || got != last || !strings.HasSuffix(got, "-2.jsonl") {
		t.Errorf("LatestSession = %s, %v; want %s (the second session of the latest second)", got, err, last)
	}
}

func TestSplitSessions(t *testing.T) {
	ev := func(k Kind) Event { return Event{Kind: k} }
	tests := map[string]struct {
		kinds []Kind
		want  []int // sizes of the parts
	}{
		"empty":                 {nil, nil},
		"one session":           {[]Kind{SessionStart, Note, SessionEnd}, []int{3}},
		"two sessions":          {[]Kind{SessionStart, Note, SessionEnd, SessionStart, SessionEnd}, []int{3, 2}},
		"events before a start": {[]Kind{Note, SessionStart, Note}, []int{1, 2}},
		"no start at all":       {[]Kind{Note, Note}, []int{2}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var evs []Event
			for _, k := range tc.kinds {
				evs = append(evs, ev(k))
			}
			var sizes []int
			for _, p := range SplitSessions(evs) {
				sizes = append(sizes, len(p))
			}
			if !reflect.DeepEqual(sizes, tc.want) {
				t.Errorf("parts %v, want %v", sizes, tc.want)
			}
		})
	}
}

// A file with no event is not a journal: one sentence, whatever it holds.
func TestNotAJournal(t *testing.T) {
	dir := t.TempDir()
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(i*7919 + i/13) // arbitrary bytes, newlines included
	}
	yaml := strings.Repeat("hosts:\n  - name: redis-1\n    address: 10.0.0.1\n", 10)
	tests := map[string]struct {
		body []byte
		want string
	}{
		"random bytes": {random, "is not a gameday journal: it is a binary file"},
		"a yaml file": {[]byte(yaml), "is not a gameday journal: no event in its 30 lines " +
			"(line 1: not valid JSON at column 1: invalid character 'h' at start of value)"},
		"one line": {[]byte("hello\n"), "is not a gameday journal: its one line is not an event " +
			"(line 1: not valid JSON at column 1: invalid character 'h' at start of value)"},
		"every line corrupt": {[]byte(strings.Repeat(`{"seq":1,"kind":"note","summary":"n"}`+"\n", 3)),
			`is not a gameday journal: no event in its 3 lines (line 1: not an event: field "time" is missing)`},
		"empty":       {nil, "is not a gameday journal: it is empty"},
		"blank lines": {[]byte("\n\n  \n"), "is not a gameday journal: it is empty"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			os.WriteFile(path, tc.body, 0o600)
			evs, warns, err := LoadJournal(path)
			var nj *NotJournalError
			if !errors.As(err, &nj) || err.Error() != path+" "+tc.want || evs != nil || warns != nil {
				t.Errorf("LoadJournal = %d events, %d warnings, %v; want %q", len(evs), len(warns), err, path+" "+tc.want)
			}
		})
	}
}

// A damaged journal keeps loading; its warnings are bounded, and each one
// has every byte of the damage escaped.
func TestDamagedJournalWarningsAreCappedAndEscaped(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		if i%3 == 0 {
			fmt.Fprintf(&b, `{"seq":%d,"time":"2026-11-25T08:30:00Z","kind":"note","source":"op","summary":"n"}`+"\n", i)
		} else {
			fmt.Fprintf(&b, "\x1b[31mred\x07 \xff\xfe %d\n", i)
		}
	}
	path := filepath.Join(t.TempDir(), "damaged.jsonl")
	os.WriteFile(path, []byte(b.String()), 0o600)
	evs, warns, err := LoadJournal(path)
	if err != nil || len(evs) != 100 {
		t.Fatalf("loaded %d events, err %v; want the 100 good ones", len(evs), err)
	}
	if len(warns) != MaxWarnings+1 || warns[MaxWarnings].Lines != 200-MaxWarnings {
		t.Fatalf("%d warnings (last %+v), want %d and one folding the other %d", len(warns), warns[len(warns)-1], MaxWarnings, 200-MaxWarnings)
	}
	lines := WarningLines(warns, 5)
	if len(lines) != 6 || lines[5] != "and 195 more problems in "+path {
		t.Errorf("warning lines = %q", lines)
	}
	for _, l := range lines {
		for _, c := range l {
			if c < 0x20 || c == 0x7f || c == utf8.RuneError {
				t.Fatalf("warning %q holds a raw control or invalid byte", l)
			}
		}
	}
	if !strings.Contains(lines[0], `\x1b`) {
		t.Errorf("warning %q does not show the damage escaped", lines[0])
	}
}
