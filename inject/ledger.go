package inject

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/gameday-dev/gameday/targets"
)

// Record is one fault as the ledger stores it: everything a later process
// needs to revert it, even when the process that armed it is gone.
type Record struct {
	ID     string            `json:"id"`
	Kind   string            `json:"kind"`
	Hosts  []string          `json:"hosts"`
	Params map[string]string `json:"params,omitempty"`
	TTL    time.Duration     `json:"ttl"`
	IKnow  bool              `json:"i_know,omitempty"`
	// By is who armed the fault; RevertedBy who reverted it.
	By         string    `json:"by,omitempty"`
	RevertedBy string    `json:"reverted_by,omitempty"`
	Session    Session   `json:"session"`
	State      State     `json:"state"`
	Created    time.Time `json:"created"`
	ArmedAt    time.Time `json:"armed_at,omitzero"`
	// Injected is when the first inject step began on a host: the moment
	// the fault's effects can start (the timeline's figures count from it).
	Injected time.Time `json:"injected,omitzero"`
	// Deadline is when the hosts' guards revert the fault.
	Deadline time.Time             `json:"deadline"`
	Updated  time.Time             `json:"updated"`
	Error    string                `json:"error,omitempty"`
	PerHost  map[string]*HostEntry `json:"per_host"`
}

// HostEntry is one host's part of a fault: the executor that reaches it
// and what that executor needs to revert it, its guard and its last status.
type HostEntry struct {
	// Target is the host as the inventory described it when armed, with
	// the inventory's SSH defaults filled in and paths made absolute
	// (sshx.Portable; key paths, never key contents), so a revert works
	// without that inventory.
	Target targets.Host `json:"target"`
	// Executor names the executor that armed the host ("ssh", "lab").
	Executor string `json:"executor,omitempty"`
	// Via is what the executor needs besides Target (the lab's control
	// address and directory).
	Via map[string]string `json:"via,omitempty"`
	// Guard is the guard's id, as ledgers before executors recorded it.
	Guard      string `json:"guard,omitempty"`
	Revert     []Step `json:"revert,omitempty"`
	VerifyGone []Step `json:"verify_gone,omitempty"`
	// Flap is the schedule of a flapping fault, whose guard toggles it
	// (its Revert starts by stopping the toggling).
	Flap *Flap `json:"flap,omitempty"`
	// Touched is set once any command that changes the host has run.
	Touched bool   `json:"touched,omitempty"`
	Status  string `json:"status"`

	// Lab, LabControl, LabDir and LabRevert are how ledgers written before
	// executors had names recorded a lab node; upgrade moves them into
	// Executor, Via and Revert.
	Lab        bool      `json:"lab,omitempty"`
	LabControl string    `json:"lab_control,omitempty"`
	LabDir     string    `json:"lab_dir,omitempty"`
	LabRevert  []LabStep `json:"lab_revert,omitempty"`
}

// upgrade fills Executor (and, for lab nodes, Via and Revert) in an entry
// of an older ledger, so faults armed by an older gameday still revert.
func (e *HostEntry) upgrade() {
	if e.Executor != "" {
		return
	}
	if !e.Lab {
		e.Executor = "ssh"
		return
	}
	e.Executor = "lab"
	if e.LabControl != "" {
		e.Via = map[string]string{"control": e.LabControl, "dir": e.LabDir}
	}
	e.Revert = labSteps(e.LabRevert)
	e.Lab, e.LabControl, e.LabDir, e.LabRevert = false, "", "", nil
}

// Active reports whether the fault may still be in place somewhere.
func (r *Record) Active() bool {
	switch r.State {
	case StateReverted, StateExpired, StateGone:
		return false
	case StateFailed:
		// A failed arm whose rollback verified clean has no host touched left.
		for _, h := range r.PerHost {
			if h.Touched {
				return true
			}
		}
		return false
	}
	return true
}

// Ledger is the durable record of faults: a JSON-lines file where each line
// is a whole Record and the last line for an ID wins. Every write takes an
// exclusive flock and is fsync'd, so concurrent gameday processes and crashes
// never lose an entry.
type Ledger struct {
	path string
}

// OpenLedger opens (creating if needed, 0600 in a 0700 directory) the
// ledger at path.
func OpenLedger(path string) (*Ledger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	defer f.Close()
	// A ledger made by an older umask or by hand is tightened, not trusted.
	if err := f.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return &Ledger{path: path}, nil
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

// Put appends r as its newest version and fsyncs before returning.
func (l *Ledger) Put(r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("ledger: encode fault %s: %w", r.ID, err)
	}
	b = append(b, '\n')
	return l.locked(func(f *os.File) error {
		if _, err := f.Write(b); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		if st, err := f.Stat(); err == nil && st.Size() > compactAbove {
			// The record is already durable; a failed compaction only
			// leaves a longer file.
			_ = l.compact(f)
		}
		return nil
	})
}

// Load returns the newest version of every fault, oldest first. A torn last
// line (a crash mid-write) is skipped; any other malformed line is an error
// naming it.
func (l *Ledger) Load() ([]*Record, error) {
	byID := map[string]*Record{}
	err := l.locked(func(f *os.File) error {
		if _, err := f.Seek(0, 0); err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		n := 0
		var bad error
		for sc.Scan() {
			n++
			if bad != nil {
				return bad
			}
			var r Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.ID == "" {
				bad = fmt.Errorf("line %d is not a fault record", n)
				continue
			}
			for _, e := range r.PerHost {
				e.upgrade()
			}
			byID[r.ID] = &r
		}
		return sc.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	out := make([]*Record, 0, len(byID))
	for _, r := range byID {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns the newest version of fault id.
func (l *Ledger) Get(id string) (*Record, error) {
	all, err := l.Load()
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no fault %q in the ledger %s", oneLine(id), l.path)
}

// locked runs fn on the ledger file while holding an exclusive flock on a
// separate lock file: compaction replaces the ledger file by rename, and a
// lock on the file itself would then guard a file nobody reads any more.
func (l *Ledger) locked(fn func(*os.File) error) error {
	lk, err := os.OpenFile(l.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lk.Close()
	if err := syscall.Flock(int(lk.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer syscall.Flock(int(lk.Fd()), syscall.LOCK_UN)
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
}

// compactAbove is the ledger size past which Put rewrites it with one line
// per fault; finished faults older than keepFinished are dropped then.
const (
	compactAbove = 4 << 20
	keepFinished = 30 * 24 * time.Hour
)

// compact rewrites the ledger (under the lock, via a synced temporary file
// and a rename) keeping the newest line of every fault still of interest.
func (l *Ledger) compact(f *os.File) error {
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	latest := map[string][]byte{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.ID == "" {
			continue
		}
		if _, seen := latest[r.ID]; !seen {
			order = append(order, r.ID)
		}
		if !r.Active() && time.Since(r.Updated) > keepFinished {
			latest[r.ID] = nil
			continue
		}
		latest[r.ID] = append([]byte(nil), sc.Bytes()...)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), ".ledger-*.jsonl")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, id := range order {
		if b := latest[id]; b != nil {
			w.Write(b)
			w.WriteByte('\n')
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.path)
}
