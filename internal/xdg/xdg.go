// Package xdg finds gameday's directories under the XDG base directories:
// one way for the state directory (journals, ledger, lab) and the cache
// (the full lab's jars).
package xdg

import (
	"os"
	"path/filepath"
)

// Dir returns $ENV/gameday/ELEM…, or ~/HOME/gameday/ELEM… (HOME such as
// ".local/state") when ENV is unset or not absolute: the XDG spec says to
// ignore relative paths. It creates nothing.
func Dir(env, home string, elem ...string) (string, error) {
	base := os.Getenv(env)
	if !filepath.IsAbs(base) {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(h, home)
	}
	return filepath.Join(append([]string{base, "gameday"}, elem...)...), nil
}
