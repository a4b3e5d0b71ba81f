package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"unicode"
)

// FuzzJournalReport feeds arbitrary journal bytes through the loader and both
// exports: nothing may panic, every non-blank line is an event or a warning,
// and whatever loads renders valid JSON.
//
//	go test -run '^$' -fuzz FuzzJournalReport -fuzztime 60s ./timeline
func FuzzJournalReport(f *testing.F) {
	raw, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for _, i := range []int{0, 20, 40, 60, 120, len(lines) - 2} {
		f.Add([]byte(lines[i] + "\n" + lines[i+1] + "\n"))
	}
	// A torn tail; seeds stay small, because the fuzzer minimizes every
	// new input it finds by re-running it thousands of times.
	f.Add([]byte(lines[0] + "\n" + lines[1][:len(lines[1])/2]))
	for _, odd := range []string{
		`{"seq":1,"time":"2026-11-25T08:30:00Z","kind":"fault.armed","data":{"fault_id":7,"hosts":"h","params":[1]}}`,
		`{"seq":1,"time":"2026-11-25T08:30:00Z","kind":"probe.window","data":{"probe":"x","p99":1e308,"window":true}}`,
		`{"seq":1,"time":"0001-01-01T00:00:01Z","kind":"probe.window","data":{"probe":"x","p99":1}}` + "\n" +
			`{"seq":2,"time":"9999-12-31T23:59:59Z","kind":"probe.window","data":{"probe":"x","p99":2}}`,
		`{"seq":1,"time":"2026-11-25T08:30:00Z","kind":"runbook.verdict","data":{"verdict":"held","conditions":"none"}}`,
		"\x00\x00\x00",
	} {
		f.Add([]byte(odd + "\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, warns, err := ReadJournal(bytes.NewReader(data), "fuzz.jsonl")
		var nj *NotJournalError
		if errors.As(err, &nj) {
			if len(evs) != 0 || strings.ContainsFunc(err.Error(), unicode.IsControl) {
				t.Fatalf("not a journal, yet %d events; or the sentence %q holds control bytes", len(evs), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ReadJournal on bytes in memory failed: %v", err)
		}
		nonBlank := 0
		for _, l := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(l) != "" {
				nonBlank++
			}
		}
		lines := 0
		for _, w := range warns {
			lines += w.Lines
			if strings.ContainsFunc(w.String(), unicode.IsControl) {
				t.Fatalf("warning %q holds control bytes", w)
			}
		}
		if len(evs)+lines != nonBlank {
			t.Fatalf("%d events + %d lines warned about for %d non-blank lines", len(evs), lines, nonBlank)
		}
		if err := WriteMarkdown(io.Discard, evs, ReportOptions{Warnings: warns}); err != nil {
			t.Fatal(err)
		}
		var js bytes.Buffer
		if err := WriteJSON(&js, evs, ReportOptions{}); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(js.Bytes()) {
			t.Fatal("WriteJSON produced invalid JSON")
		}
	})
}
