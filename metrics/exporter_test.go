package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// liveSession opens a shared live session on one local host whose faults
// run through sh on this machine.
func liveSession(t testing.TB) *session.Session {
	t.Helper()
	inv := &targets.Inventory{Name: "local", Hosts: []targets.Host{{Name: "local", Address: "127.0.0.1"}}}
	s, err := session.Open(session.Config{Source: "serve", Targets: inv, StateDir: t.TempDir(), Shared: true,
		FaultOptions: []inject.Option{inject.WithRunner(inject.LocalRunner{})}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.RevertArmed(context.Background())
		s.Close("test over")
	})
	return s
}

// serve starts an exporter of s on a free loopback port and returns its
// /metrics URL and its address.
func serve(t *testing.T, s *session.Session) (url string, addr net.Addr) {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, s, ln)
}

// serveOn exports s on ln until the test ends.
func serveOn(t *testing.T, s *session.Session, ln net.Listener) (url string, addr net.Addr) {
	t.Helper()
	e, err := New(s)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	go e.Serve(ln)
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + Path, ln.Addr()
}

// families is one scrape, parsed.
type families map[string]*dto.MetricFamily

func scrape(t *testing.T, url string) families {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	var p expfmt.TextParser
	fs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return fs
}

// value returns the value of the series of name whose labels include
// want, and whether there is one.
func (fs families) value(name string, want map[string]string) (float64, bool) {
	f := fs[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.Label {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// series renders every series of name, for failure messages.
func (fs families) series(name string) string {
	f := fs[name]
	if f == nil {
		return name + ": none"
	}
	var out []string
	for _, m := range f.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+strconv.Quote(l.GetValue()))
		}
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
		out = append(out, fmt.Sprintf("%s{%s} %v", name, strings.Join(ls, ","), v))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// until scrapes until ok holds of a scrape, failing after 10 s.
func until(t *testing.T, url, what string, ok func(families) bool) families {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fs := scrape(t, url)
		if ok(fs) {
			return fs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scrape shows %s within 10 s; last:\n%s\n%s", what, fs.series("gameday_fault_armed"), fs.series("gameday_probe_status"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sleeper(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pidfile := filepath.Join(t.TempDir(), "sleep.pid")
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return pidfile
}

// TestFaultWindowAndWhoArmedIt: a fault a facilitator arms is 1 with its
// TTL counting down and who armed it, and 0 once reverted; the session's
// info and people are there.
func TestFaultWindowAndWhoArmedIt(t *testing.T) {
	s := liveSession(t)
	url, _ := serve(t, s)
	alice, err := s.Attach(session.Person{Name: "alice", Role: session.Facilitator})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Attach(session.Person{Name: "bob", Role: session.Observer}); err != nil {
		t.Fatal(err)
	}
	req := inject.Request{Kind: "pause", Hosts: []string{"local"}, Params: map[string]string{"pidfile": sleeper(t)}, TTL: time.Minute}
	armed, err := alice.Arm(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	fault := map[string]string{"fault_id": armed.ID, "kind": "pause", "hosts": "local"}
	fs := until(t, url, "the fault armed with its TTL left", func(fs families) bool {
		v, ok := fs.value("gameday_fault_armed", fault)
		_, left := fs.value("gameday_fault_ttl_remaining_seconds", fault)
		return ok && v == 1 && left
	})
	if left, _ := fs.value("gameday_fault_ttl_remaining_seconds", fault); left <= 0 || left > 60 {
		t.Errorf("TTL remaining %v s, want within (0, 60]", left)
	}
	if ttl, _ := fs.value("gameday_fault_ttl_seconds", fault); ttl != 60 {
		t.Errorf("TTL %v s, want 60", ttl)
	}
	if _, ok := fs.value("gameday_fault_info", map[string]string{"fault_id": armed.ID, "by": "alice"}); !ok {
		t.Errorf("no fault info naming alice:\n%s", fs.series("gameday_fault_info"))
	}
	for want, labels := range map[float64]map[string]string{
		1: {"source": "serve", "inventory": "local"},
	} {
		if v, ok := fs.value("gameday_session_info", labels); !ok || v != want {
			t.Errorf("session info:\n%s", fs.series("gameday_session_info"))
		}
	}
	for role, want := range map[string]float64{"facilitator": 1, "observer": 1, "scribe": 0} {
		if v, ok := fs.value("gameday_session_people", map[string]string{"role": role}); !ok || v != want {
			t.Errorf("people %s = %v (%v), want %v", role, v, ok, want)
		}
	}
	if _, ok := fs.value("gameday_session_person", map[string]string{"person": "metrics"}); ok {
		t.Error("the exporter's own attachment is listed among the people")
	}
	if start, ok := fs.value("gameday_session_start_timestamp_seconds", nil); !ok || time.Since(time.Unix(int64(start), 0)) > time.Minute {
		t.Errorf("session start %v (%v)", start, ok)
	}

	if _, err := alice.Revert(context.Background(), armed.ID); err != nil {
		t.Fatal(err)
	}
	fs = until(t, url, "the fault at 0 after its revert", func(fs families) bool {
		v, ok := fs.value("gameday_fault_armed", fault)
		return ok && v == 0
	})
	if _, ok := fs.value("gameday_fault_ttl_remaining_seconds", fault); ok {
		t.Error("a reverted fault still counts its TTL down")
	}
	if n, _ := fs.value("gameday_events_total", map[string]string{"kind": "fault.reverted"}); n != 1 {
		t.Errorf("fault.reverted events = %v, want 1", n)
	}
}

// TestProbeReadingsAsRecorded: the latest window of each probe, as the
// probe recorded it; the status one-hot; windows counted by status;
// latencies in seconds.
func TestProbeReadingsAsRecorded(t *testing.T) {
	s := liveSession(t)
	url, _ := serve(t, s)
	rec := s.Recorder()
	window := func(st timeline.Status, p99 float64) {
		r := &timeline.Reading{Probe: "redis.latency", Target: "cache", Status: st, Value: p99, Unit: "ms", P50: 2, P99: p99}
		rec.Record(timeline.NewEvent(timeline.ProbeWindow, "probes", "window").WithData(r))
	}
	window(timeline.StatusOK, 4)
	window(timeline.StatusOK, 5)
	window(timeline.StatusBreach, 250)
	probe := map[string]string{"probe": "redis.latency", "target": "cache"}
	fs := until(t, url, "three windows", func(fs families) bool {
		n, _ := fs.value("gameday_probe_windows_total", map[string]string{"probe": "redis.latency", "status": "breach"})
		return n == 1
	})
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"gameday_probe_value", map[string]string{"probe": "redis.latency", "unit": "ms"}, 250},
		{"gameday_probe_p99_seconds", probe, 0.25},
		{"gameday_probe_p50_seconds", probe, 0.002},
		{"gameday_probe_status", map[string]string{"probe": "redis.latency", "status": "breach"}, 1},
		{"gameday_probe_status", map[string]string{"probe": "redis.latency", "status": "ok"}, 0},
		{"gameday_probe_status", map[string]string{"probe": "redis.latency", "status": "pending"}, 0},
		{"gameday_probe_windows_total", map[string]string{"probe": "redis.latency", "status": "ok"}, 2},
		{"gameday_probe_windows_total", map[string]string{"probe": "redis.latency", "status": "error"}, 0},
	}
	for _, c := range checks {
		if v, ok := fs.value(c.name, c.labels); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v), want %v\n%s", c.name, c.labels, v, ok, c.want, fs.series(c.name))
		}
	}
}

// TestSecretsStayOutOfLabels: a fault's parameters are in its info
// redacted, as on every screen.
func TestSecretsStayOutOfLabels(t *testing.T) {
	s := liveSession(t)
	url, _ := serve(t, s)
	fd := &timeline.FaultData{FaultID: "f-1", Kind: "latency", Hosts: []string{"local"},
		Params: timeline.Params{"delay": "500ms", "password": "hunter2", "url": "https://ops:hunter2@example.com/x"}}
	s.Recorder().Record(timeline.NewEvent(timeline.FaultArmed, "inject", "armed").WithData(fd))
	until(t, url, "the fault", func(fs families) bool {
		_, ok := fs.value("gameday_fault_armed", map[string]string{"fault_id": "f-1"})
		return ok
	})
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "hunter2") {
		t.Fatalf("a secret reached /metrics:\n%s", body)
	}
	if !strings.Contains(string(body), `delay=500ms`) {
		t.Errorf("the parameters are not in the fault's info:\n%s", body)
	}
}

// TestEndedFaultsAreBounded: an ended fault stays at 0 (PromQL sees its
// window close), but only the latest MaxEndedFaults do.
func TestEndedFaultsAreBounded(t *testing.T) {
	s := liveSession(t)
	url, _ := serve(t, s)
	rec := s.Recorder()
	n := MaxEndedFaults + 5
	for i := range n {
		fd := &timeline.FaultData{FaultID: fmt.Sprintf("f-%02d", i), Kind: "latency", Hosts: []string{"local"}}
		rec.Record(timeline.NewEvent(timeline.FaultArmed, "inject", "armed").WithData(fd))
		rec.Record(timeline.NewEvent(timeline.FaultReverted, "inject", "reverted").WithData(fd))
	}
	live := &timeline.FaultData{FaultID: "f-live", Kind: "loss", Hosts: []string{"local"}}
	rec.Record(timeline.NewEvent(timeline.FaultArmed, "inject", "armed").WithData(live))
	fs := until(t, url, "the last fault", func(fs families) bool {
		v, _ := fs.value("gameday_fault_armed", map[string]string{"fault_id": "f-live"})
		return v == 1
	})
	if got := len(fs["gameday_fault_armed"].Metric); got != MaxEndedFaults+1 {
		t.Fatalf("%d fault series, want %d ended + 1 armed:\n%s", got, MaxEndedFaults, fs.series("gameday_fault_armed"))
	}
	for i := range n {
		_, ok := fs.value("gameday_fault_armed", map[string]string{"fault_id": fmt.Sprintf("f-%02d", i)})
		if want := i >= n-MaxEndedFaults; ok != want {
			t.Errorf("fault f-%02d exported %v, want %v", i, ok, want)
		}
	}
}
