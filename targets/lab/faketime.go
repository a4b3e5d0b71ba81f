package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
)

// faketimeFile writes a node's libfaketime control file in dir, with no
// offset, and returns its path: the node then runs under libfaketime
// reading it (proc.Spec.Faketime), and the faketime action rewrites it.
func faketimeFile(dir, name string) (string, error) {
	file := filepath.Join(dir, name+".faketime")
	if err := proc.SetClockOffset(file, "+0"); err != nil {
		return "", fmt.Errorf("faketime file of %s: %w", name, err)
	}
	return file, nil
}

// errFaketimeHangs is why the lab's Faketime option fails on Debian 12.
var errFaketimeHangs = errors.New("redis-server hangs at load under libfaketime " +
	"(libfaketime 0.9.10 initialises inside jemalloc's own initialisation and deadlocks), " +
	"so the lab cannot run Redis under libfaketime and clock-drift is unavailable in the lab; start it without --faketime")

// checkFaketime runs `redis-server --version` under libfaketime and fails
// with one sentence if it does not finish: on Debian 12 the jemalloc-linked
// binary deadlocks before main, and a lab started anyway would hang.
func checkFaketime(dir string) error {
	if _, err := os.Stat(proc.FaketimeLib); err != nil {
		return fmt.Errorf("the lab's Faketime option needs %s (Debian package libfaketime)", proc.FaketimeLib)
	}
	file, err := faketimeFile(dir, "faketime-check")
	if err != nil {
		return err
	}
	defer os.Remove(file)
	p, err := proc.Start(proc.Spec{Argv: []string{redisServerBin, "--version"}, Faketime: file})
	if err != nil {
		return fmt.Errorf("redis-server under libfaketime: %w", err)
	}
	if !p.Wait(2 * time.Second) {
		_ = p.Stop(0)
		return errFaketimeHangs
	}
	if err := p.ExitErr(); err != nil {
		return fmt.Errorf("redis-server under libfaketime: %w", err)
	}
	return nil
}
