package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// writeOffset sets a node's clock offset, e.g. "-60s" or "+0".
func writeOffset(file, offset string) error {
	offset = strings.TrimSpace(offset)
	if offset == "" {
		offset = "+0"
	}
	if offset[0] != '+' && offset[0] != '-' {
		offset = "+" + offset
	}
	if err := os.WriteFile(file, []byte(offset+"\n"), 0o600); err != nil {
		return fmt.Errorf("write faketime offset %s: %w", offset, err)
	}
	return nil
}
