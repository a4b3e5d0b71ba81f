package inject

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// params reads a kind's parameters from the operator's map, remembering
// which keys were read so that a misspelt key is refused instead of being
// silently ignored.
type params struct {
	kind string
	m    map[string]string
	used map[string]bool
	err  error
}

func newParams(kind string, m map[string]string) *params {
	return &params{kind: kind, m: m, used: map[string]bool{}}
}

// fail records the first error only: one clear sentence beats a list.
func (p *params) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: param %s: %s", p.kind, name, oneLine(fmt.Sprintf(format, args...)))
	}
}

func (p *params) raw(name string) (string, bool) {
	p.used[name] = true
	v, ok := p.m[name]
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (p *params) str(name, def string) string {
	if v, ok := p.raw(name); ok {
		return v
	}
	return def
}

func (p *params) duration(name string, def time.Duration) time.Duration {
	return parsed(p, name, def, time.ParseDuration, "a duration (use 500ms, 2s, 1m)")
}

// percent parses "30" or "30%" as 30, in [0, 100].
func (p *params) percent(name string, def float64) float64 {
	return parsed(p, name, def, func(v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err == nil && (math.IsNaN(f) || f < 0 || f > 100) {
			err = errors.New("out of range")
		}
		return f, err
	}, "a percentage between 0 and 100")
}

// parsed reads one param through parse, so that every typed param fails
// the same way: "%q is not <want>", and the default is kept.
func parsed[T any](p *params, name string, def T, parse func(string) (T, error), want string) T {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	x, err := parse(v)
	if err != nil {
		p.fail(name, "%q is not %s", v, want)
		return def
	}
	return x
}

// direction parses in, out or both.
func (p *params) direction(name string, def Direction) Direction {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	switch d := Direction(strings.ToLower(v)); d {
	case DirIn, DirOut, DirBoth:
		return d
	}
	p.fail(name, "%q is not a direction (in, out or both)", v)
	return def
}

// list parses a comma-separated list, dropping empty items.
func (p *params) list(name string) []string {
	v, ok := p.raw(name)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// bytes parses a byte size such as 512, 64k, 16MiB, 1GB.
func (p *params) bytes(name string, def int64) int64 {
	return parsed(p, name, def, ParseBytes, "a byte size (use 1GiB, 512MB, 4096)")
}

// rate parses a bandwidth such as 1mbit, 500kbit, 10Mbps (bits per second).
func (p *params) rate(name string, def int64) int64 {
	return parsed(p, name, def, ParseBitRate, "a rate (use 1mbit, 500kbit)")
}

// done reports the first parse error, or an unknown key.
func (p *params) done() error {
	if p.err != nil {
		return p.err
	}
	var unknown []string
	for k := range p.m {
		if !p.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := make([]string, 0, len(p.used))
		for k := range p.used {
			known = append(known, k)
		}
		sort.Strings(known)
		return fmt.Errorf("%s: unknown param %q (known: %s)", p.kind, oneLine(unknown[0]), strings.Join(known, ", "))
	}
	return nil
}

// Direction says which traffic a partition drops, seen from the faulted host.
type Direction string

// Directions of a partition.
const (
	DirIn   Direction = "in"
	DirOut  Direction = "out"
	DirBoth Direction = "both"
)

var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1000, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1000 * 1000, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1000 * 1000 * 1000, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1000 * 1000 * 1000 * 1000, "tib": 1 << 40,
}

// ParseBytes parses a byte size: a number and an optional unit (k, KiB, MB,
// G, GiB, …; lone letters are binary).
func ParseBytes(s string) (int64, error) {
	return parseScaled(s, byteUnits, false, "a byte size")
}

var rateUnits = map[string]int64{
	"bit": 1, "kbit": 1000, "mbit": 1000 * 1000, "gbit": 1000 * 1000 * 1000,
	"bps": 8, "kbps": 8000, "mbps": 8 * 1000 * 1000, "gbps": 8 * 1000 * 1000 * 1000,
}

// ParseBitRate parses a bandwidth in tc's spelling (bit, kbit, mbit, gbit for
// bits per second; bps, kbps, mbps for bytes per second) and returns bits
// per second.
func ParseBitRate(s string) (int64, error) {
	return parseScaled(s, rateUnits, true, "a rate")
}

// parseScaled parses a number and a unit of units (case-insensitive) into
// the number times the unit; positive refuses zero too.
func parseScaled(s string, units map[string]int64, positive bool, what string) (int64, error) {
	num, unit := splitNumber(s)
	mult, ok := units[strings.ToLower(unit)]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || math.IsNaN(f) || f < 0 || (positive && f == 0) || f*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not %s", s, what)
	}
	return int64(f * float64(mult)), nil
}

func splitNumber(s string) (num, unit string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return !(unicode.IsDigit(r) || r == '.') })
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// isAddress reports whether s is an IP address or a CIDR prefix.
func isAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// oneLine keeps operator input from breaking an error into several lines.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
