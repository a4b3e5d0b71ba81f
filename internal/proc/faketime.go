package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// FaketimeLib is Debian's libfaketime preload library (package
// libfaketime).
var FaketimeLib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

// FaketimeEnv is the environment that runs a child under libfaketime with
// its offset in file, so a clock-drift fault moves one process's clock and
// never the machine's. Every child under libfaketime gets the same:
//   - the file is re-read at most once a second (FAKETIME_CACHE_DURATION):
//     a changed offset applies within a second, and a process that reads
//     the clock all the time (a JVM) does not re-read a file each time;
//   - the monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC):
//     timeouts measured with it would otherwise end at once when the
//     offset moves, and a JVM's timed waits then spin (seen here: load
//     average 150 and a broker that never registered). A drift is about
//     wall-clock time, which is what clocks are compared by.
func FaketimeEnv(file string) []string {
	return []string{
		"LD_PRELOAD=" + FaketimeLib,
		"FAKETIME_TIMESTAMP_FILE=" + file,
		"FAKETIME_CACHE_DURATION=1",
		"FAKETIME_DONT_FAKE_MONOTONIC=1",
	}
}

// faketimeOffset turns an offset as gameday writes it ("-60s", "+2m30s",
// "+0", or plain seconds "-90") into libfaketime's relative form: signed
// seconds, which every libfaketime version reads (its own suffixes stop at
// the first unit: "+2m30s" would be two minutes).
func faketimeOffset(offset string) (string, error) {
	offset = strings.TrimSpace(offset)
	if offset == "" || offset == "0" || offset == "+0" || offset == "-0" {
		return "+0", nil
	}
	var secs float64
	if d, err := time.ParseDuration(offset); err == nil {
		secs = d.Seconds()
	} else if f, ferr := strconv.ParseFloat(offset, 64); ferr == nil {
		secs = f
	} else {
		return "", fmt.Errorf("faketime offset %q: want a signed duration such as -60s or +2m", offset)
	}
	v := strconv.FormatFloat(secs, 'f', -1, 64)
	if v[0] != '-' {
		v = "+" + v
	}
	return v, nil
}

// SetClockOffset writes offset (see faketimeOffset) into a libfaketime
// control file, mode 0600.
func SetClockOffset(file, offset string) error {
	v, err := faketimeOffset(offset)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte(v+"\n"), 0o600); err != nil {
		return fmt.Errorf("write faketime offset %s: %w", v, err)
	}
	return nil
}
