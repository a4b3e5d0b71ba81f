package inject

import (
	"fmt"
	"time"
)

// Guard time-to-live bounds: a fault always expires, and within a day.
const (
	DefaultTTL = 10 * time.Minute
	MaxTTL     = 24 * time.Hour
)

// effectiveTTL maps 0 to the default and refuses anything unlimited.
func effectiveTTL(ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl == 0:
		return DefaultTTL, nil
	case ttl < time.Second:
		return 0, fmt.Errorf("ttl %s is too short: give at least 1s (0 means the default %s)", ttl, DefaultTTL)
	case ttl > MaxTTL:
		return 0, fmt.Errorf("ttl %s is longer than the %s gameday allows: every fault must expire", ttl, MaxTTL)
	}
	return ttl, nil
}
