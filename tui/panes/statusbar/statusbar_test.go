package statusbar

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var t0 = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

func newBar(width int) *Model {
	return New(common.Common{Width: width, Styles: common.DefaultStyles(), Now: func() time.Time { return t0.Add(5 * time.Minute) }})
}

// window is a closed probe window at t0+at with the given status.
func window(at time.Duration, probe, target string, status timeline.Status) timeline.Event {
	e := timeline.NewEvent(timeline.ProbeWindow, "probes", "%s %s", probe, target).
		WithData(&timeline.Reading{Probe: probe, Target: target, Status: status, Value: 80, Unit: "ms", Threshold: "p99 < 50ms"})
	e.Time = t0.Add(at)
	return e
}

func event(at time.Duration, kind timeline.Kind) timeline.Event {
	e := timeline.NewEvent(kind, "test", "%s", kind)
	e.Time = t0.Add(at)
	return e
}

// The status bar counts the probes whose thresholds broke in the session's
// first minute with no fault armed: those thresholds do not fit the
// machine, and every later breach of theirs is ambiguous.
func TestBaselineUnstableCountsEarlyBreaches(t *testing.T) {
	s := time.Second
	tests := map[string]struct {
		events []timeline.Event
		want   string // "" when the bar must not mention the baseline
	}{
		"no breach": {
			events: []timeline.Event{event(0, timeline.SessionStart), window(10*s, "redis.latency", "r", timeline.StatusOK)},
		},
		"two probes, one breaching twice": {
			events: []timeline.Event{event(0, timeline.SessionStart),
				window(10*s, "redis.latency", "r", timeline.StatusBreach),
				window(11*s, "redis.latency", "r", timeline.StatusBreach),
				window(30*s, "kafka.latency", "k canary", timeline.StatusBreach),
				window(31*s, "kafka.lag", "k g/t", timeline.StatusOK)},
			want: "baseline: 2 probes unstable",
		},
		"same probe on two targets": {
			events: []timeline.Event{event(0, timeline.SessionStart),
				window(10*s, "kafka.lag", "k g/a", timeline.StatusBreach),
				window(10*s, "kafka.lag", "k g/b", timeline.StatusBreach)},
			want: "baseline: 2 probes unstable",
		},
		"a query's series are one probe": {
			events: []timeline.Event{event(0, timeline.SessionStart),
				window(10*s, "prometheus.query", "prom up", timeline.StatusBreach),
				window(10*s, "prometheus.query", `prom up {job="a"}`, timeline.StatusBreach),
				window(10*s, "prometheus.query", `prom up {job="b"}`, timeline.StatusBreach)},
			want: "baseline: 1 probe unstable",
		},
		"one": {
			events: []timeline.Event{event(0, timeline.SessionStart), window(59*s, "redis.latency", "r", timeline.StatusBreach)},
			want:   "baseline: 1 probe unstable",
		},
		"after the first minute": {
			events: []timeline.Event{event(0, timeline.SessionStart), window(60*s, "redis.latency", "r", timeline.StatusBreach)},
		},
		"after a fault was armed": {
			events: []timeline.Event{event(0, timeline.SessionStart), event(5*s, timeline.FaultArming),
				window(10*s, "redis.latency", "r", timeline.StatusBreach)},
		},
		"an error is not a threshold": {
			events: []timeline.Event{event(0, timeline.SessionStart), window(10*s, "redis.latency", "r", timeline.StatusError)},
		},
		"no session.start: the first event starts the minute": {
			events: []timeline.Event{window(100*s, "redis.latency", "r", timeline.StatusOK), window(130*s, "redis.latency", "r", timeline.StatusBreach),
				window(170*s, "kafka.latency", "k", timeline.StatusBreach)},
			want: "baseline: 1 probe unstable",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := newBar(160)
			// One batch at a time, as the screen receives them.
			for _, e := range tc.events {
				m.Observe([]timeline.Event{e}, false)
			}
			v := m.View()
			if tc.want == "" && strings.Contains(v, "baseline") {
				t.Errorf("status bar %q mentions the baseline", v)
			}
			if tc.want != "" && !strings.Contains(v, " · "+tc.want+" ") {
				t.Errorf("status bar %q, want %q in it", v, tc.want)
			}
		})
	}
}

// A reset (a replay's jump, a screen rebuilt from history) counts again
// from the events it is given.
func TestBaselineUnstableResets(t *testing.T) {
	m := newBar(160)
	m.Observe([]timeline.Event{event(0, timeline.SessionStart), window(10*time.Second, "redis.latency", "r", timeline.StatusBreach)}, false)
	if !strings.Contains(m.View(), "baseline: 1 probe unstable") {
		t.Fatalf("no count before the reset: %q", m.View())
	}
	m.Observe([]timeline.Event{event(0, timeline.SessionStart), window(10*time.Second, "redis.latency", "r", timeline.StatusOK)}, true)
	if strings.Contains(m.View(), "baseline") {
		t.Errorf("after a reset to a history without a breach the bar says %q", m.View())
	}
}

// Golden at 100 columns (the smallest screen): the count stays whole next
// to a message, and the journal path gives way first.
func TestBaselineUnstableGolden(t *testing.T) {
	m := newBar(100)
	m.Inventory = "lab"
	m.Journal = "~/.local/state/gameday/sessions/2026-11-27T093000Z.jsonl"
	m.Message = "timeline written to /tmp/t.md"
	m.Observe([]timeline.Event{event(0, timeline.SessionStart),
		window(10*time.Second, "redis.latency", "r", timeline.StatusBreach),
		window(20*time.Second, "kafka.latency", "k canary", timeline.StatusBreach)}, false)
	v := m.View()
	if w := lipgloss.Width(v); w != 100 {
		t.Fatalf("status bar is %d wide, want 100: %q", w, v)
	}
	teatest.RequireEqualOutput(t, []byte(v))
}
