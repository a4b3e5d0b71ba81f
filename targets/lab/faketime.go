package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// libfaketimePath is Debian's libfaketime preload library.
var libfaketimePath = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

// faketime runs children under libfaketime, each with its own control file,
// so a clock-drift fault moves one process's clock without touching the
// machine's.
type faketime struct{ lib string }

// setup writes the node's control file ("+0": no offset) and returns the
// environment that makes libfaketime read it on every clock call.
func (f *faketime) setup(dir, name string) (env []string, file string, err error) {
	file = filepath.Join(dir, name+".faketime")
	if err := os.WriteFile(file, []byte("+0\n"), 0o600); err != nil {
		return nil, "", fmt.Errorf("write faketime file of %s: %w", name, err)
	}
	return []string{
		"LD_PRELOAD=" + f.lib,
		"FAKETIME_TIMESTAMP_FILE=" + file,
		// Re-read the file on every call so a changed offset applies at once.
		"FAKETIME_NO_CACHE=1",
	}, file, nil
}

// faketimeOffset turns an offset as gameday writes it ("-60s", "+2m30s",
// "+0", or plain seconds "-90") into libfaketime's relative form: signed
// seconds, which every libfaketime version reads.
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
	return strconv.FormatFloat(secs, 'f', -1, 64), nil
}

// writeOffset sets a node's clock offset.
func writeOffset(file, offset string) error {
	v, err := faketimeOffset(offset)
	if err != nil {
		return err
	}
	if v[0] != '-' && v[0] != '+' {
		v = "+" + v
	}
	if err := os.WriteFile(file, []byte(v+"\n"), 0o600); err != nil {
		return fmt.Errorf("write faketime offset %s: %w", v, err)
	}
	return nil
}

// errFaketimeHangs is why the lab's Faketime option fails on Debian 12.
var errFaketimeHangs = errors.New("redis-server hangs at load under libfaketime " +
	"(libfaketime 0.9.10 initialises inside jemalloc's own initialisation and deadlocks), " +
	"so the lab cannot run Redis under libfaketime and clock-drift is unavailable in the lab; start it without --faketime")

// checkFaketime runs `redis-server --version` under libfaketime and fails
// with one sentence if it does not finish: on Debian 12 the jemalloc-linked
// binary deadlocks before main, and a lab started anyway would hang.
func (f *faketime) check(dir string) error {
	env, file, err := f.setup(dir, "faketime-check")
	if err != nil {
		return err
	}
	defer os.Remove(file)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, redisServerBin, "--version")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return errFaketimeHangs
		}
		return fmt.Errorf("redis-server under libfaketime: %w", err)
	}
	return nil
}
