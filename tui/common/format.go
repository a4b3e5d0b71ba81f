package common

import (
	"fmt"
	"math"
	"time"

	"github.com/gameday-dev/gameday/timeline"
)

// Number formats a probe value with about three significant figures, so
// that columns stay narrow and steady.
func Number(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100 || a == math.Trunc(a):
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// Duration formats d compactly for ages and countdowns: "4m05s", "12s",
// "1h02m", "850ms".
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour && d%time.Minute == 0:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// Params formats fault parameters in a stable order, secrets redacted:
// "delay=500ms jitter=0s", or "(none)".
func Params(p map[string]string) string { return timeline.Params(p).String() }
