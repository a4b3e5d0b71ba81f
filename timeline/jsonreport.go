package timeline

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the same analysis as WriteMarkdown as one indented JSON
// document, for tools. Field order is fixed and map keys are sorted, so the
// same events always give the same bytes. Times are UTC; "_s" fields are
// seconds since the first event.
func WriteJSON(w io.Writer, events []Event, opts ReportOptions) error {
	return BuildReport(events, opts).WriteJSON(w)
}

// WriteJSON encodes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	if len(r.Events) == 0 && len(r.events) > 0 {
		r.Events = r.eventRows()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
