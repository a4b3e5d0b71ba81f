// Package sparkline keeps a bounded history of one probe's values and draws
// it as a one-line block sparkline. It is a few dozen lines on purpose: a
// one-row chart needs no canvas, and drawing it must stay cheap enough to
// redraw eight of them on every probe window.
package sparkline

import "strings"

// levels are the eight block heights; a missing value draws as a space.
var levels = []rune("▁▂▃▄▅▆▇█")

// Ring is a fixed-capacity history of values, oldest overwritten first.
type Ring struct {
	vals  []float64
	next  int
	count int
}

// NewRing returns a Ring holding the last capacity values.
func NewRing(capacity int) *Ring {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring{vals: make([]float64, capacity)}
}

// Push appends v, dropping the oldest value when full.
func (r *Ring) Push(v float64) {
	r.vals[r.next] = v
	r.next = (r.next + 1) % len(r.vals)
	if r.count < len(r.vals) {
		r.count++
	}
}

// Len is how many values the ring holds.
func (r *Ring) Len() int { return r.count }

// Last returns the newest n values, oldest first, appended to dst.
func (r *Ring) Last(dst []float64, n int) []float64 {
	if n > r.count {
		n = r.count
	}
	start := r.next - n
	if start < 0 {
		start += len(r.vals)
	}
	for i := 0; i < n; i++ {
		dst = append(dst, r.vals[(start+i)%len(r.vals)])
	}
	return dst
}

// Render draws the newest width values right-aligned in width cells. The
// scale runs from zero (or the smallest value, if negative) to the largest
// value shown, with floor as the least top so that a flat, small series
// does not look like a wall.
func Render(vals []float64, width int, floor float64) string {
	if width <= 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	lo, hi := 0.0, floor
	for _, v := range vals {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	var sb strings.Builder
	sb.Grow(width * 3)
	sb.WriteString(strings.Repeat(" ", width-len(vals)))
	span := hi - lo
	for _, v := range vals {
		i := 0
		if span > 0 {
			i = int((v - lo) / span * float64(len(levels)-1))
		}
		i = min(max(i, 0), len(levels)-1)
		sb.WriteRune(levels[i])
	}
	return sb.String()
}
