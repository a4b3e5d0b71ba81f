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
	total uint64 // values ever pushed: fixes bucket boundaries in time
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
	r.total++
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

// Buckets appends to dst at most width values, each the largest of per
// consecutive values, oldest first. Bucket boundaries are fixed by how many
// values were ever pushed, so the picture does not shimmer as new values
// arrive; only the newest bucket grows.
func (r *Ring) Buckets(dst []float64, width, per int) []float64 {
	if r.count == 0 || width <= 0 {
		return dst
	}
	per = max(per, 1)
	first := r.total - uint64(r.count) // absolute index of the oldest value
	newest := (r.total - 1) / uint64(per)
	lo := first / uint64(per)
	if newest+1 > uint64(width) && newest+1-uint64(width) > lo {
		lo = newest + 1 - uint64(width)
	}
	start := len(dst)
	for b := lo; b <= newest; b++ {
		dst = append(dst, 0)
	}
	from := max(first, lo*uint64(per))
	for i := from; i < r.total; i++ {
		v := r.vals[(uint64(r.next)+uint64(len(r.vals))-(r.total-i))%uint64(len(r.vals))]
		j := start + int(i/uint64(per)-lo)
		if i%uint64(per) == 0 || i == from || v > dst[j] {
			dst[j] = v
		}
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
