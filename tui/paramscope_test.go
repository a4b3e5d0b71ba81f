package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// The kill form offers a lab node none of the SSH-only parameters (unit,
// pidfile, pattern, start), and an SSH host all of them (issue 11.4).
func TestKillFormOffersEachHostItsParameters(t *testing.T) {
	inv := &targets.Inventory{Name: "mixed", Hosts: []targets.Host{
		{Name: "redis-1", Address: "127.0.0.11", Lab: &targets.LabNode{Kind: "redis"}},
		{Name: "db1", Address: "10.0.0.1"},
	}}
	for name, tc := range map[string]struct {
		keys       []string
		want, gone []string
	}{
		"lab node": {keys: []string{"space"}, want: []string{"ttl"}, gone: []string{"unit", "pidfile", "pattern", "start"}},
		"ssh host": {keys: []string{"down", "space"}, want: []string{"unit", "pidfile", "pattern", "start", "ttl"}},
	} {
		t.Run(name, func(t *testing.T) {
			rec := timeline.NewRecorder(timeline.WithClock(fixedNow))
			t.Cleanup(rec.Close)
			var kinds []inject.KindInfo
			for _, k := range inject.Kinds() {
				if k.Name == "kill" {
					kinds = append(kinds, k)
				}
			}
			m := New(Options{Inventory: inv, Faults: newFakeFaults(rec), Kinds: kinds, Feed: subFeed{rec.Subscribe(64)}, Now: fixedNow})
			sc := start(t, m, 120, 36)
			waitFor(t, sc, "nothing armed")
			steps(t, sc, step{keys: []string{"a"}, until: []string{"choose hosts"}},
				step{keys: tc.keys, until: []string{"1 of 2 hosts selected"}},
				step{keys: []string{"enter"}, until: []string{"Arm kill: parameters"}})
			v := finalView(t, sc)
			form := v[strings.Index(v, "Arm kill: parameters"):]
			has := func(p string) bool { return regexp.MustCompile(`[> ] ` + p + ` `).MatchString(form) }
			for _, p := range tc.want {
				if !has(p) {
					t.Errorf("the form lacks %s:\n%s", p, v)
				}
			}
			for _, p := range tc.gone {
				if has(p) {
					t.Errorf("the form offers %s on a lab node:\n%s", p, v)
				}
			}
		})
	}
}
