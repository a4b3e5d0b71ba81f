package timeline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Warning is a problem in a journal that did not stop it from loading: a
// torn last line, a malformed line that was skipped, or a journal from a
// newer gameday.
type Warning struct {
	File string
	Line int
	Msg  string
	// Lines is how many journal lines the warning stands for: 1 for a
	// skipped or torn line, more for the warning that folds the problems
	// beyond MaxWarnings, 0 for one about the whole journal.
	Lines int
}

// String renders the warning as "FILE:LINE: message", every byte that is
// not printable text escaped: a damaged journal may hold anything.
func (w Warning) String() string {
	return fmt.Sprintf("%s:%d: %s", escape(w.File), w.Line, escape(w.Msg))
}

// MaxWarnings bounds the warnings kept for one journal; the problems beyond
// are folded into one last warning that counts them.
const MaxWarnings = 100

// SniffLines is how many non-blank lines without a single event make a
// file "not a gameday journal".
const SniffLines = 50

// NotJournalError is a file in which no line is a gameday event: a YAML
// file, random bytes, an empty file, a journal whose every line is
// corrupt.
type NotJournalError struct {
	Path  string
	Lines int  // non-blank lines read without finding an event
	Whole bool // they are all the file has
	// Binary tells that what was read holds NUL bytes or is not UTF-8:
	// no text file at all.
	Binary bool
	// First is why the first non-blank line is not an event.
	First string
}

func (e *NotJournalError) Error() string {
	head := escape(e.Path) + " is not a gameday journal: "
	why := ""
	if e.First != "" {
		why = " (line 1: " + escape(e.First) + ")"
	}
	switch {
	case e.Lines == 0:
		return head + "it is empty"
	case e.Binary:
		return head + "it is a binary file"
	case e.Whole && e.Lines == 1:
		return head + "its one line is not an event" + why
	case e.Whole:
		return fmt.Sprintf("%sno event in its %d lines%s", head, e.Lines, why)
	}
	return fmt.Sprintf("%sno event in its first %d lines%s", head, e.Lines, why)
}

// WarningLines renders at most n warnings and, when there are more, one
// line saying how many more problems there are: what a person reads.
func WarningLines(ws []Warning, n int) []string {
	var out []string
	more := 0
	for i, w := range ws {
		if i < n {
			out = append(out, w.String())
			continue
		}
		more += max(w.Lines, 1)
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("and %d more problems in %s", more, escape(ws[0].File)))
	}
	return out
}

// escape returns s with invalid UTF-8 and non-printable characters written
// as Go escapes (\x01, \u200b), so that a damaged journal cannot put control
// sequences on a terminal or into a report.
func escape(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case !unicode.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// LoadJournal reads every whole event of the journal at path, in file order.
// A last line cut off by a crash yields one warning and the events before it;
// a malformed line elsewhere yields a warning naming its line and is skipped
// (at most MaxWarnings, then one that counts the rest). A file in which no
// line is an event is a *NotJournalError; the other errors are for a file
// that cannot be read at all.
func LoadJournal(path string) ([]Event, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	hint := 0
	if st, err := f.Stat(); err == nil {
		hint = int(min(st.Size()/200, 1<<22)) // journal lines run 200–400 bytes
	}
	return readJournal(f, path, hint)
}

// ReadJournal is LoadJournal on an open reader; name is used in warnings.
func ReadJournal(r io.Reader, name string) ([]Event, []Warning, error) {
	return readJournal(r, name, 0)
}

// readJournal is ReadJournal with room made for about hint events.
func readJournal(r io.Reader, name string, hint int) ([]Event, []Warning, error) {
	var (
		events   = make([]Event, 0, hint)
		warns    []Warning
		br       = bufio.NewReaderSize(r, 64<<10)
		newer    bool // the newer-format warning is given once
		nonBlank int
		binary   bool     // a NUL byte, or bytes that are not UTF-8
		first    string   // why the first non-blank line is not an event
		folded   *Warning // the warning counting problems beyond MaxWarnings
	)
	warn := func(line int, msg string) {
		if len(warns) < MaxWarnings {
			warns = append(warns, Warning{name, line, msg, 1})
			return
		}
		if folded == nil {
			warns = append(warns, Warning{File: name, Line: line})
			folded = &warns[len(warns)-1]
		}
		folded.Lines++
		folded.Msg = fmt.Sprintf("and %d more lines skipped or torn, the last at line %d", folded.Lines, line)
	}
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return events, warns, fmt.Errorf("read journal %s line %d: %w", escape(name), line, err)
		}
		complete := err == nil
		body := bytes.TrimSpace(raw)
		if len(body) > 0 {
			nonBlank++
			if len(events) == 0 && (bytes.IndexByte(body, 0) >= 0 || !utf8.Valid(body)) {
				binary = true
			}
			e, derr := decodeEvent(body)
			if derr != nil && nonBlank == 1 {
				first = derr.Error()
			}
			switch {
			case derr == nil:
				if sd := e.Session(); sd != nil && sd.Format > JournalFormat && !newer {
					newer = true
					warns = append(warns, Warning{File: name, Line: line, Msg: fmt.Sprintf(
						"written by a newer gameday (journal format %d; this one reads format %d): what it does not know is shown as recorded", sd.Format, JournalFormat)})
				}
				events = append(events, e)
			case !complete:
				warn(line, fmt.Sprintf("last line is incomplete (crash while writing?); %d events kept", len(events)))
			default:
				warn(line, fmt.Sprintf("skipped: %v", derr))
			}
			if len(events) == 0 && nonBlank >= SniffLines {
				return nil, nil, &NotJournalError{Path: name, Lines: nonBlank, Binary: binary, First: first}
			}
		}
		if !complete {
			if len(events) == 0 {
				return nil, nil, &NotJournalError{Path: name, Lines: nonBlank, Whole: true, Binary: binary, First: first}
			}
			return events, warns, nil
		}
	}
}

// decodeEvent decodes one journal line. A line missing its kind is not an
// event, even if it is valid JSON. The event is redacted, so that a journal
// written before redaction at write time shows no secret either.
func decodeEvent(b []byte) (Event, error) {
	var e Event
	if err := e.UnmarshalJSON(b); err != nil {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) {
			return Event{}, fmt.Errorf("not valid JSON at column %d: %v", se.ByteOffset+1, se.Err)
		}
		var sem *json.SemanticError
		if errors.As(err, &sem) {
			// Worded here: the library varies its own wording on purpose.
			msg := fmt.Sprintf("not an event: field %q holds a JSON %s", string(sem.JSONPointer), sem.JSONKind)
			if sem.GoType != nil {
				msg += ", not a " + sem.GoType.String()
			}
			return Event{}, errors.New(msg)
		}
		return Event{}, fmt.Errorf("not an event: %v", err)
	}
	if e.Kind == "" {
		return Event{}, errors.New(`not an event: field "kind" is missing`)
	}
	if e.Time.IsZero() {
		return Event{}, errors.New(`not an event: field "time" is missing`)
	}
	e.redact()
	return e, nil
}
