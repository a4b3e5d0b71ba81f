package probes

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestEncodersLeaveOutWhatDoesNotApply(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	readings := []Reading{
		{Time: at, Probe: "redis.latency", Target: "r", Status: StatusOK, Value: 1.5, Unit: "ms", P50: 0.5, P99: 1.5, Count: 100, Errors: 0},
		{Time: at, Probe: "kafka.lag", Target: "k g/t", Status: StatusPending},
	}
	tests := map[string]struct {
		enc  func(*bytes.Buffer) Encoder
		want string
	}{
		"json": {enc: func(b *bytes.Buffer) Encoder { return NewJSONEncoder(b) }, want: `{"time":"2026-11-25T09:30:00Z","probe":"redis.latency","target":"r","status":"ok","value":1.5,"unit":"ms","p50":0.5,"p99":1.5,"errors":0}
{"time":"2026-11-25T09:30:00Z","probe":"kafka.lag","target":"k g/t","status":"pending"}
`},
		"table": {enc: func(b *bytes.Buffer) Encoder { return NewTableEncoder(b) }, want: `TIME      PROBE             TARGET                        STATUS          VALUE        P50        P99  ERRORS  DETAIL
09:30:00  redis.latency     r                             ok             1.5 ms      0.5ms      1.5ms       0  
09:30:00  kafka.lag         k g/t                         pending             -          -          -       -  
`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			enc := tc.enc(&b)
			for _, r := range readings {
				if err := enc(r); err != nil {
					t.Fatal(err)
				}
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", strings.ReplaceAll(b.String(), " ", "·"), strings.ReplaceAll(tc.want, " ", "·"))
			}
		})
	}
}
