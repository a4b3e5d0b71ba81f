package journaltest

import (
	"testing"

	"github.com/gameday-dev/gameday/timeline"
)

// The drill reads back as it was written, every event of it.
func TestDrillReadsBack(t *testing.T) {
	evs := Drill()
	path := Write(t, "drill.jsonl", evs)
	back, warns, err := timeline.LoadJournal(path)
	if err != nil || len(warns) > 0 {
		t.Fatalf("load: %v %v", err, warns)
	}
	if len(back) != len(evs) {
		t.Fatalf("read %d events back, wrote %d", len(back), len(evs))
	}
	a := timeline.NewAnalyzer()
	for _, e := range back {
		a.Feed(e)
	}
	f := a.Faults()
	if len(f) != 1 || f[0].TimeToDetect == nil || f[0].TimeToRecover == nil {
		t.Fatalf("the analyzer does not see one fault detected and recovered: %+v", f)
	}
	t.Logf("detect %v recover %v; %d events", *f[0].TimeToDetect, *f[0].TimeToRecover, len(back))
}
