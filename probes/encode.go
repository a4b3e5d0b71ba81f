package probes

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Encoder writes one Reading. Encoders live next to the Reading, as
// vegeta keeps its Result encoders beside the Result, so that every
// program printing readings prints them the same way.
type Encoder func(Reading) error

// Line is the JSON form of a Reading that `gameday probe --json` prints:
// the fields scripts rely on, with those that do not apply left out (a
// pending or error reading has no value; only latency probes have p50/p99).
type Line struct {
	Time   time.Time `json:"time"`
	Probe  string    `json:"probe"`
	Target string    `json:"target"`
	Status string    `json:"status"`
	Value  *float64  `json:"value,omitempty"`
	Unit   string    `json:"unit,omitempty"`
	P50    *float64  `json:"p50,omitempty"`
	P99    *float64  `json:"p99,omitempty"`
	Errors *int64    `json:"errors,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// NewLine returns the JSON form of r.
func NewLine(r Reading) Line {
	l := Line{Time: r.Time, Probe: r.Probe, Target: r.Target, Status: string(r.Status), Unit: r.Unit, Detail: r.Detail}
	if r.Status == StatusOK || r.Status == StatusBreach {
		l.Value = &r.Value
	}
	if r.P99 > 0 { // latency probes only: no latency is 0 µs
		l.P50, l.P99 = &r.P50, &r.P99
	}
	if r.Count > 0 {
		l.Errors = &r.Errors
	}
	return l
}

// NewJSONEncoder writes each reading as one JSON object (a Line) per line.
func NewJSONEncoder(w io.Writer) Encoder {
	enc := json.NewEncoder(w)
	return func(r Reading) error { return enc.Encode(NewLine(r)) }
}

const tableRow = "%-8s  %-16s  %-28s  %-7s  %12s  %9s  %9s  %6s  %s\n"

// NewTableEncoder writes each reading as one row of an aligned table,
// with the header before the first row; what does not apply reads "-".
func NewTableEncoder(w io.Writer) Encoder {
	header := false
	return func(r Reading) error {
		if !header {
			header = true
			if _, err := fmt.Fprintf(w, tableRow, "TIME", "PROBE", "TARGET", "STATUS", "VALUE", "P50", "P99", "ERRORS", "DETAIL"); err != nil {
				return err
			}
		}
		l := NewLine(r)
		value, p50, p99, errs := "-", "-", "-", "-"
		if l.Value != nil {
			value = strings.TrimSpace(fmt.Sprintf("%.6g %s", *l.Value, l.Unit))
		}
		if l.P50 != nil {
			p50, p99 = fmt.Sprintf("%.1fms", *l.P50), fmt.Sprintf("%.1fms", *l.P99)
		}
		if l.Errors != nil {
			errs = fmt.Sprint(*l.Errors)
		}
		_, err := fmt.Fprintf(w, tableRow, r.Time.Format("15:04:05"), r.Probe, r.Target, r.Status, value, p50, p99, errs, r.Detail)
		return err
	}
}
