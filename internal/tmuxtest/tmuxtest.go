// Package tmuxtest drives a real terminal program in a detached tmux
// session for end-to-end tests: start it, send keys, read the screen.
package tmuxtest

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Screen is a program running in a detached tmux session.
type Screen struct {
	t    testing.TB
	Name string
}

// Start runs command (through the shell) in a new detached tmux session
// named name, w×h cells; the session is killed when the test ends.
func Start(t testing.TB, name, command string, w, h int) *Screen {
	t.Helper()
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", name, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), command).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", name).Run() })
	return &Screen{t: t, Name: name}
}

// Capture returns the screen as text ("tmux capture-pane: …" when tmux
// cannot say).
func (s *Screen) Capture() string {
	out, err := exec.Command("tmux", "capture-pane", "-p", "-t", s.Name).CombinedOutput()
	if err != nil {
		return "tmux capture-pane: " + err.Error() + ": " + string(out)
	}
	return string(out)
}

// Keys sends each key (tmux key names: "Enter", "Space", "Tab", or text),
// pausing after each so that a dialog it opens is there for the next.
func (s *Screen) Keys(ks ...string) {
	s.t.Helper()
	for _, k := range ks {
		if out, err := exec.Command("tmux", "send-keys", "-t", s.Name, k).CombinedOutput(); err != nil {
			s.t.Fatalf("tmux send-keys %q: %v\n%s", k, err, out)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// WaitUntil polls the screen until ok holds or d passes; it returns the
// last screen and whether ok held.
func (s *Screen) WaitUntil(d time.Duration, ok func(screen string) bool) (string, bool) {
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		if last = s.Capture(); ok(last) {
			return last, true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return last, false
}

// WaitFor waits until the screen shows every one of subs, failing the
// test with the last screen after d.
func (s *Screen) WaitFor(d time.Duration, subs ...string) string {
	s.t.Helper()
	last, ok := s.WaitUntil(d, func(sc string) bool {
		for _, x := range subs {
			if !strings.Contains(sc, x) {
				return false
			}
		}
		return true
	})
	if !ok {
		s.t.Fatalf("%s: the screen never showed %q within %s; last screen:\n%s", s.Name, subs, d, last)
	}
	return last
}
