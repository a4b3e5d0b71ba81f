package probes

import (
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// TestSentinelSwitchDedupe feeds +switch-master messages as three
// Sentinels publish them: one switch seen three times is one event, while
// switching back and forth is one event per switch.
func TestSentinelSwitchDedupe(t *testing.T) {
	rec := timeline.NewRecorder()
	defer rec.Close()
	sub := rec.Subscribe(100)
	p := newSentinelMaster(targets.Redis{Name: "r", Master: "mymaster"}, Config{Window: time.Second}, rec, Options{})
	t0 := time.Now()
	msgs := []struct {
		sentinel, channel, payload string
	}{
		{"s1", "+switch-master", "mymaster 127.0.0.1 7001 127.0.0.1 7002"},
		{"s2", "+switch-master", "mymaster 127.0.0.1 7001 127.0.0.1 7002"},
		{"s3", "+switch-master", "mymaster 127.0.0.1 7001 127.0.0.1 7002"},
		{"s1", "+switch-master", "othermaster 127.0.0.1 9001 127.0.0.1 9002"}, // not ours
		{"s2", "+sdown", "master mymaster 127.0.0.1 7002"},
		{"s1", "+switch-master", "mymaster 127.0.0.1 7002 127.0.0.1 7001"},
		{"s1", "+switch-master", "mymaster 127.0.0.1 7001 127.0.0.1 7002"},
	}
	for i, m := range msgs {
		p.onEvent(t0.Add(time.Duration(i)*time.Millisecond), m.sentinel, m.channel, m.payload)
	}
	want := []struct {
		kind     timeline.Kind
		old, new string
	}{
		{timeline.SentinelSwitch, "127.0.0.1:7001", "127.0.0.1:7002"},
		{timeline.SentinelEvent, "", ""},
		{timeline.SentinelSwitch, "127.0.0.1:7002", "127.0.0.1:7001"},
		{timeline.SentinelSwitch, "127.0.0.1:7001", "127.0.0.1:7002"},
	}
	for i, w := range want {
		select {
		case ev := <-sub.C():
			if ev.Kind != w.kind || ev.String("old") != w.old || ev.String("new") != w.new {
				t.Fatalf("event %d: %s %q old %q new %q, want %s old %q new %q", i, ev.Kind, ev.Summary, ev.String("old"), ev.String("new"), w.kind, w.old, w.new)
			}
		default:
			t.Fatalf("event %d missing, want %s", i, w.kind)
		}
	}
	select {
	case ev := <-sub.C():
		t.Fatalf("unexpected extra event %s %q", ev.Kind, ev.Summary)
	default:
	}
	p.mu.Lock()
	seen := p.switches[0].seenBy
	p.mu.Unlock()
	if len(seen) != 3 {
		t.Errorf("first switch seen by %v, want all three Sentinels kept", seen)
	}
}

// TestSentinelOdownMakesMasterUnstable checks that +odown of the current
// master breaks "master: stable" until a switch or -odown, and that a late
// +odown about a replaced master is ignored.
func TestSentinelOdownMakesMasterUnstable(t *testing.T) {
	p := newSentinelMaster(targets.Redis{Name: "r", Master: "mymaster"}, Config{Window: time.Second}, nil, Options{})
	p.master = "127.0.0.1:7001"
	now := time.Now()
	steps := []struct {
		channel, payload string
		down             bool
	}{
		{"+odown", "master mymaster 127.0.0.1 7009 #quorum 2/2", false}, // not the current master
		{"+odown", "master mymaster 127.0.0.1 7001 #quorum 2/2", true},
		{"-odown", "master mymaster 127.0.0.1 7001", false},
		{"+odown", "master mymaster 127.0.0.1 7001 #quorum 2/2", true},
		{"+switch-master", "mymaster 127.0.0.1 7001 127.0.0.1 7002", false},
	}
	for i, s := range steps {
		p.onEvent(now, "s1", s.channel, s.payload)
		p.mu.Lock()
		down := !p.odown.IsZero()
		p.mu.Unlock()
		if down != s.down {
			t.Fatalf("step %d (%s %s): objectively down = %v, want %v", i, s.channel, s.payload, down, s.down)
		}
	}
	select {
	case <-p.wake:
	default:
		t.Fatal("no poll was woken by +odown or the switch")
	}
}
