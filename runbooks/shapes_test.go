package runbooks

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/targets"
)

// TestSameMistakeSameProblems feeds an inventory and a runbook the same
// broken shapes and checks that both loaders answer with the same kind of
// problem list: every problem, each "file:line:col: field: message", with
// the same message for the same mistake.
func TestSameMistakeSameProblems(t *testing.T) {
	deep := strings.Repeat("[", 70) + strings.Repeat("]", 70)
	cases := map[string]struct {
		inventory, runbook string
		want               []string // messages, in file order
	}{
		"unknown field": {
			inventory: "hosts:\n  - name: a\n    adress: h\n",
			runbook:   rb("  - hold: 1s\n    alow: {probe: redis.latency, for: 1s}\n"),
			want:      []string{`unknown field; did you mean "(address|allow)"\?`},
		},
		"duplicate key": {
			inventory: "hosts:\n  - name: a\n    name: b\n    address: h\n",
			runbook:   rb("  - hold: 1s\n    hold: 2s\n"),
			want:      []string{`set twice \(first at line \d+\)`},
		},
		"wrong type": {
			inventory: "hosts:\n  - name: a\n    address: h\n    ssh: {port: many}\n",
			runbook:   rb("  - hold: 1s\n    allow: {probe: redis.latency, changes: many}\n"),
			want:      []string{`want a whole number, got string "many"`},
		},
		"bad duration": {
			inventory: "services:\n  redis:\n    - {name: r, sentinels: [\"s:1\"], master: m, probes: {latency: {timeout: 30}}}\n",
			runbook:   rb("  - hold: 30\n"),
			want:      []string{`duration 30 needs a unit, such as 30ms or 30s`},
		},
		"alias to nothing": {
			inventory: "hosts:\n  - name: a\n    address: *nowhere\n",
			runbook:   rb("  - note: *nowhere\n"),
			want:      []string{`alias \*nowhere refers to no anchor defined before it`},
		},
		"too deep": {
			inventory: "hosts:\n  - name: a\n    address: h\n    tags: " + deep + "\n",
			runbook:   rb("  - note: " + deep + "\n"),
			want:      []string{`the file nests deeper than 64 levels`},
		},
		"every problem at once": {
			inventory: "hosts:\n  - name: a\n    adress: h\n    ssh: {port: many}\n    tags: *nowhere\n",
			runbook:   rb("  - hold: 1s\n    alow: {probe: redis.latency, for: 1s}\n  - hold: 30\n  - note: *nowhere\n"),
			want: []string{
				`unknown field; did you mean "(address|allow)"\?`,
				`(want a whole number, got string "many"|duration 30 needs a unit, such as 30ms or 30s)`,
				`alias \*nowhere refers to no anchor defined before it`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, invErr := targets.Parse("inv.yaml", []byte(tc.inventory))
			_, rbErr := Parse("rb.yaml", []byte(tc.runbook))
			for file, err := range map[string]error{"inv.yaml": invErr, "rb.yaml": rbErr} {
				var ps targets.Problems
				if !errors.As(err, &ps) {
					t.Fatalf("%s: error %T is not a Problems list: %v", file, err, err)
				}
				var msgs []string
				for _, p := range ps {
					if p.Pos.Line < 1 || p.Pos.Col < 1 {
						t.Errorf("%s: problem without a position: %v", file, p)
					}
					msgs = append(msgs, p.Msg)
				}
				if len(msgs) != len(tc.want) {
					t.Fatalf("%s: problems\n%v\nwant %d: %q", file, err, len(tc.want), tc.want)
				}
				for i, m := range msgs {
					if !matches(tc.want[i], m) {
						t.Errorf("%s: problem %d is %q, want %q", file, i, m, tc.want[i])
					}
				}
				for _, line := range strings.Split(err.Error(), "\n") {
					if !matches(file+`:\d+:\d+: (\S+: )?.+`, line) {
						t.Errorf("%s: line %q is not file:line:col: [field:] message", file, line)
					}
				}
			}
		})
	}
}

// rb is a valid runbook head followed by steps.
func rb(steps string) string {
	return "name: shapes\nhypothesis: [redis.latency p99 < 50ms]\nsteps:\n" + steps
}

func matches(pattern, s string) bool {
	ok, err := regexp.MatchString("^"+pattern+"$", s)
	if err != nil {
		panic(fmt.Sprintf("pattern %q: %v", pattern, err))
	}
	return ok
}
