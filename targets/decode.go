package targets

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// decodeRate accepts a plain number of requests per second or "N/s",
// "N/m" ("600/m" is 10 per second).
func decodeRate(d *yamldoc.Doc, n *yamldoc.Node, v reflect.Value, path string) {
	if f, ok := n.Number(); ok && !math.IsInf(f, 0) {
		v.SetFloat(f)
		return
	}
	if n.IsScalar() {
		if f, err := ParseRequestRate(n.Text); err == nil {
			v.SetFloat(f)
			return
		}
	}
	d.At(n.Pos, path, "want a rate such as 10/s or 600/m, got %s", n.Describe(false))
}

// DecodeSelector is the yamldoc hook for a host selector ("redis-1",
// "tag:az-a", "role:master"). Inside a flow list YAML reads "role:master"
// as a one-key mapping; it is put back together, since that is what the
// author wrote.
func DecodeSelector(d *yamldoc.Doc, n *yamldoc.Node, v reflect.Value, path string) {
	switch {
	case n.IsScalar():
		v.SetString(n.Text)
	case n.Kind == yamldoc.Mapping && len(n.Entries) == 1 && n.Entries[0].Value.IsScalar():
		v.SetString(n.Entries[0].Key + ":" + n.Entries[0].Value.Text)
	default:
		d.At(n.Pos, path, "want a host name, tag:NAME or role:NAME, got %s", n.Describe(false))
	}
}

// ParseRequestRate parses a request rate: a plain number (per second),
// "N/s" or "N/m", and returns requests per second.
func ParseRequestRate(s string) (float64, error) {
	num, per, found := strings.Cut(strings.TrimSpace(s), "/")
	unit := time.Second
	if found {
		switch strings.TrimSpace(per) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			unit = time.Minute
		default:
			return 0, fmt.Errorf("rate %q: unit must be /s or /m", s)
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("rate %q: not a number", s)
	}
	return f / unit.Seconds(), nil
}
