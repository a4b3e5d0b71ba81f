package inject

import (
	"fmt"
	"io"
	"strings"
)

// WritePlan writes a Preview as the dry run shows it: for every host, each
// step exactly as it would run, in the order it would run. Nothing runs.
func WritePlan(w io.Writer, p Preview) error {
	var b strings.Builder
	fmt.Fprintf(&b, "dry run: %s on %s, TTL %s; nothing was changed\n", p.Request.Kind, strings.Join(p.Request.Hosts, ", "), p.Request.TTL)
	fmt.Fprintf(&b, "blast radius: %s\n", p.BlastRadius)
	if p.Majority && !p.Request.IKnow {
		b.WriteString("arming it would be refused without --i-know\n")
	}
	for _, h := range p.Hosts {
		fmt.Fprintf(&b, "\n== host %s, %s\n", h.Host, h.Reach)
		for _, sec := range []struct {
			title string
			steps []string
		}{
			{"1. detect (changes nothing)", h.Detect},
			{"2. ledger entry written, then TTL guard", h.Guard},
			{"3. inject", h.Inject},
			{"4. verify the fault is in place", h.Verify},
			{"revert", h.Revert},
			{"verify the fault is gone", h.VerifyGone},
		} {
			if len(sec.steps) == 0 {
				continue
			}
			fmt.Fprintf(&b, "-- %s\n", sec.title)
			for _, s := range sec.steps {
				b.WriteString(s)
				b.WriteByte('\n')
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
