// Package labtest starts a real gameday lab for other packages' tests.
package labtest

import (
	"context"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets/lab"
)

// Start starts a lab in a fresh t.TempDir() (opts.Dir is ignored), stops it
// on t.Cleanup, and fails the test with the lab's own error if it does not
// come up. Progress lines go to t.Log.
func Start(t testing.TB, opts lab.Options) *lab.Lab {
	t.Helper()
	dir := t.TempDir()
	opts.Dir = dir
	if opts.Progress == nil {
		opts.Progress = func(s string) { t.Log(s) }
	}
	limit := 45 * time.Second
	if opts.Full {
		// JVMs on 2 cores shared with others: the libfaketime Cassandra
		// node, last to join, took 4.5 min at load 50 (green in 5.5 min).
		// A bound on a hang, not a performance check.
		limit = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	l, err := lab.Start(ctx, opts)
	if err != nil {
		t.Fatalf("labtest: start the lab: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Errorf("labtest: stop the lab: %v", err)
		}
		if left := lab.ProcessesIn(dir); len(left) > 0 {
			t.Errorf("labtest: processes %v still run in %s after Stop", left, dir)
		}
	})
	return l
}
