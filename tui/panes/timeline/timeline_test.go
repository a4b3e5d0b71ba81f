package timeline

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	tl "github.com/gameday-dev/gameday/timeline"
	"github.com/gameday-dev/gameday/tui/common"
	"github.com/gameday-dev/gameday/tui/keys"
)

// The pane's figures are the report's: one journal fed to both, in the
// batches the screen receives, gives the same per-fault figures, and the
// lines the pane shows are the report summary's lines.
func TestPaneFiguresEqualReport(t *testing.T) {
	for _, journal := range []string{"../../../timeline/testdata/gameday.jsonl", "../../../timeline/testdata/membership.jsonl"} {
		t.Run(journal, func(t *testing.T) {
			evs, warns, err := tl.LoadJournal(journal)
			if err != nil || len(warns) > 0 {
				t.Fatal(err, warns)
			}
			lipgloss.SetColorProfile(termenv.Ascii)
			c := common.Common{Width: 200, Height: 40, Styles: common.DefaultStyles(), Keys: keys.DefaultKeyMap(false)}
			m := New(c)
			for i := 0; i < len(evs); i += 7 {
				m.Update(common.EventsMsg{Events: evs[i:min(i+7, len(evs))]})
			}
			report := tl.BuildReport(evs, tl.ReportOptions{})
			if len(report.Faults) == 0 {
				t.Fatal("the journal has no fault to compare")
			}
			if !reflect.DeepEqual(m.Faults(), report.Faults) {
				t.Fatalf("pane figures differ from the report's:\npane   %+v\nreport %+v", m.Faults(), report.Faults)
			}
			var md bytes.Buffer
			if err := report.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			view := m.View()
			for _, f := range report.Faults[max(0, len(report.Faults)-MaxFaultLines):] {
				figures := strings.Join(f.Figures(), " · ")
				if !strings.Contains(md.String(), figures) {
					t.Errorf("the report's summary lacks %q", figures)
				}
				if !strings.Contains(view, f.Line()) {
					t.Errorf("the pane lacks %q:\n%s", f.Line(), view)
				}
			}
		})
	}
}

// A secret typed into a fault parameter, a note or an error message never
// reaches the screen: the Recorder redacts before any subscriber sees it,
// and the parameters the armed pane and dialogs print are redacted too.
func TestSecretsNeverOnScreen(t *testing.T) {
	const secret = "Hunter2-s3cr3t"
	rec := tl.NewRecorder()
	sub := rec.Subscribe(16)
	start := "redis-server --requirepass " + secret
	rec.Record(tl.NewEvent(tl.FaultArmed, "inject", "kill armed on redis-1").WithData(&tl.FaultData{FaultID: "f-1", Kind: "kill",
		Hosts: []string{"redis-1"}, Params: tl.Params{"start": start}}))
	rec.Record(tl.NewEvent(tl.Note, "tui", "the app's password=%s", secret))
	rec.Record(tl.NewEvent(tl.FaultFailed, "inject", "revert failed: redis-cli -a %s SHUTDOWN: refused", secret).
		WithData(&tl.FaultData{FaultID: "f-1", Error: "redis://:" + secret + "@10.0.0.1 refused"}))
	rec.Close()
	var evs []tl.Event
	for e := range sub.C() {
		evs = append(evs, e)
	}
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New(common.Common{Width: 200, Height: 20, Styles: common.DefaultStyles(), Keys: keys.DefaultKeyMap(false)})
	m.Update(common.EventsMsg{Events: evs})
	screen := m.View() + common.Params(map[string]string{"start": start, "password": secret})
	if strings.Contains(screen, secret) {
		t.Errorf("the screen shows the secret:\n%s", screen)
	}
	if !strings.Contains(screen, "password=[redacted]") || !strings.Contains(screen, "start=redis-server --requirepass [redacted]") {
		t.Errorf("the screen lost what is no secret:\n%s", screen)
	}
}
