package timeline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/go-json-experiment/json/jsontext"
)

// Warning is a problem in a journal that did not stop it from loading: a
// torn last line or a malformed line that was skipped.
type Warning struct {
	File string
	Line int
	Msg  string
}

// String renders the warning as "FILE:LINE: message".
func (w Warning) String() string { return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg) }

// LoadJournal reads every whole event of the journal at path, in file order.
// A last line cut off by a crash yields one warning and the events before it;
// a malformed line elsewhere yields a warning naming its line and is skipped.
// The error is for a file that cannot be read at all.
func LoadJournal(path string) ([]Event, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	return ReadJournal(f, path)
}

// ReadJournal is LoadJournal on an open reader; name is used in warnings.
func ReadJournal(r io.Reader, name string) ([]Event, []Warning, error) {
	var (
		events []Event
		warns  []Warning
		br     = bufio.NewReaderSize(r, 64<<10)
		newer  bool // the newer-format warning is given once
	)
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return events, warns, fmt.Errorf("read journal %s line %d: %w", name, line, err)
		}
		complete := err == nil
		body := bytes.TrimSpace(raw)
		if len(body) > 0 {
			e, derr := decodeEvent(body)
			switch {
			case derr == nil:
				if sd := e.Session(); sd != nil && sd.Format > JournalFormat && !newer {
					newer = true
					warns = append(warns, Warning{name, line, fmt.Sprintf(
						"written by a newer gameday (journal format %d; this one reads format %d): what it does not know is shown as recorded", sd.Format, JournalFormat)})
				}
				events = append(events, e)
			case !complete:
				warns = append(warns, Warning{name, line, fmt.Sprintf(
					"last line is incomplete (crash while writing?); %d events kept", len(events))})
			default:
				warns = append(warns, Warning{name, line, fmt.Sprintf("skipped: %v", derr)})
			}
		}
		if !complete {
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
