package promserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/internal/promserver"
)

// TestJobScrapesWithItsTokenFile: a Job's targets are scraped with the
// bearer token its TokenFile holds (the lab's exporter refuses any other
// request), and Stop leaves no process.
func TestJobScrapesWithItsTokenFile(t *testing.T) {
	if !promserver.Available() {
		t.Fatal("prometheus is not installed: scripts/deps.sh installs Debian's prometheus package")
	}
	var good, bad atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		good.Add(1)
		w.Write([]byte("gameday_test_up 1\n"))
	}))
	defer target.Close()
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := promserver.Start(ctx, promserver.Options{Dir: dir, Jobs: []promserver.Job{
		{Name: "secured", Targets: []string{strings.TrimPrefix(target.URL, "http://")}, TokenFile: token},
	}})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	for deadline := time.Now().Add(45 * time.Second); good.Load() == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no scrape with the token within 45s (%d refused)\n%s", bad.Load(), s.Log())
		}
	}
	if bad.Load() != 0 {
		t.Errorf("%d scrapes came without the token", bad.Load())
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Fatalf("prometheus (pid %d) still runs after Stop", pid)
	}
}
