package timeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Journal is the durable record of a session: one JSON object per line,
// appended and fsync'd per event, in a file only its owner can read (0600,
// in a 0700 directory). It implements Sink.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	buf  []byte
}

var _ BatchSink = (*Journal)(nil)

// OpenJournal opens (creating if needed) the journal at path for appending.
// A journal left cut off mid-line by a crash is first terminated with a
// newline, so that the next event starts a line of its own and only the torn
// line is lost on reload.
func OpenJournal(path string) (*Journal, error) {
	return openJournal(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
}

func openJournal(path string, flags int) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	j := &Journal{f: f, path: path}
	err = j.prepare()
	if err == nil && errors.Is(statErr, fs.ErrNotExist) {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// syncDir makes a new file's directory entry durable: without it a crash
// can lose the whole journal even though every event in it was fsync'd.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal directory %s: fsync: %w", dir, err)
	}
	return nil
}

// prepare tightens a pre-existing file's mode and repairs a torn last line.
func (j *Journal) prepare() error {
	st, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := j.f.Chmod(0o600); err != nil {
			return fmt.Errorf("journal %s: restrict mode to 0600: %w", j.path, err)
		}
	}
	if st.Size() == 0 {
		return nil
	}
	r, err := os.Open(j.path)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	defer r.Close()
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, st.Size()-1); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("journal %s: read last byte: %w", j.path, err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := j.f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("journal %s: terminate torn last line: %w", j.path, err)
	}
	return j.f.Sync()
}

// Path is the file the journal writes to.
func (j *Journal) Path() string { return j.path }

// Append writes e as one line and fsyncs it before returning, so that an
// event the Recorder reports as synced survives a crash. An event that did
// not come through a Recorder is redacted here; a Data value JSON cannot
// encode (NaN, a channel) is replaced by a data_error entry rather than
// losing the event.
func (j *Journal) Append(e Event) error {
	return j.AppendBatch([]Event{e})
}

// AppendBatch writes evs, one line each, with a single write and a single
// fsync: the Recorder's group commit under load.
func (j *Journal) AppendBatch(evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal %s: append after close", j.path)
	}
	j.buf = j.buf[:0]
	for _, e := range evs {
		line, err := encodeLine(e)
		if err != nil {
			return fmt.Errorf("journal %s: %w", j.path, err)
		}
		j.buf = append(append(j.buf, line...), '\n')
	}
	// One write: with O_APPEND a concurrent reader or a crash sees whole
	// lines or one torn tail, never interleaved fragments.
	if _, err := j.f.Write(j.buf); err != nil {
		return fmt.Errorf("journal %s: write events %d-%d: %w", j.path, evs[0].Seq, evs[len(evs)-1].Seq, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: fsync events %d-%d: %w", j.path, evs[0].Seq, evs[len(evs)-1].Seq, err)
	}
	if cap(j.buf) > 1<<20 {
		j.buf = nil // do not keep a burst's buffer for the rest of the session
	}
	return nil
}

func encodeLine(e Event) ([]byte, error) {
	e.normalize()
	e.redact()
	line, err := e.MarshalJSON()
	if err == nil {
		return line, nil
	}
	e.Data, e.UnknownData = nil, map[string]json.RawMessage{"data_error": quoteJSON(err.Error())}
	if line, err = e.MarshalJSON(); err != nil {
		return nil, fmt.Errorf("encode event %d: %w", e.Seq, err)
	}
	return line, nil
}

// Close closes the file. Close the Recorder feeding the journal first, so
// that every queued event is written. It is safe to call twice.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}
