package inject

import (
	"strings"
	"testing"
)

func TestParseFault(t *testing.T) {
	tests := map[string]struct {
		kind    string
		params  map[string]string
		wantErr string // substring; "" means success
	}{
		"latency defaults":         {kind: "latency"},
		"latency bad delay":        {kind: "latency", params: map[string]string{"delay": "5x"}, wantErr: `latency: param delay: "5x" is not a duration`},
		"latency jitter too big":   {kind: "latency", params: map[string]string{"delay": "10ms", "jitter": "20ms"}, wantErr: "latency: param jitter: 20ms is out of range"},
		"latency unknown param":    {kind: "latency", params: map[string]string{"dealy": "5ms"}, wantErr: `latency: unknown param "dealy" (known: delay, dev, jitter, peers)`},
		"loss percent sign":        {kind: "loss", params: map[string]string{"percent": "30%"}},
		"loss over 100":            {kind: "loss", params: map[string]string{"percent": "130"}, wantErr: `loss: param percent: "130" is not a percentage between 0 and 100`},
		"loss zero":                {kind: "loss", params: map[string]string{"percent": "0"}, wantErr: "0 drops nothing"},
		"partition one-way":        {kind: "partition", params: map[string]string{"direction": "in", "peers": "10.0.0.2, 10.0.0.3"}},
		"partition bad direction":  {kind: "partition", params: map[string]string{"direction": "sideways"}, wantErr: `partition: param direction: "sideways" is not a direction (in, out or both)`},
		"bandwidth rate":           {kind: "bandwidth", params: map[string]string{"rate": "512kbit"}},
		"bandwidth bad rate":       {kind: "bandwidth", params: map[string]string{"rate": "fast"}, wantErr: `bandwidth: param rate: "fast" is not a rate`},
		"disk-fill bytes":          {kind: "disk-fill", params: map[string]string{"path": "/var/lib/redis", "free": "1GiB"}},
		"disk-fill percent":        {kind: "disk-fill", params: map[string]string{"path": "/var/lib/redis", "free": "5%"}},
		"disk-fill relative path":  {kind: "disk-fill", params: map[string]string{"path": "data"}, wantErr: `disk-fill: param path: "data" is not an absolute path`},
		"disk-fill bad size":       {kind: "disk-fill", params: map[string]string{"path": "/d", "free": "lots"}, wantErr: `disk-fill: param free: "lots" is not a byte size`},
		"clock-drift negative":     {kind: "clock-drift", params: map[string]string{"offset": "-2m"}},
		"clock-drift zero":         {kind: "clock-drift", params: map[string]string{"offset": "0s"}, wantErr: "clock-drift: param offset: 0 changes nothing"},
		"clock-drift too far":      {kind: "clock-drift", params: map[string]string{"offset": "48h"}, wantErr: "beyond the 24h0m0s"},
		"kill by unit":             {kind: "kill", params: map[string]string{"unit": "redis-server.service"}},
		"kill pattern needs start": {kind: "kill", params: map[string]string{"pattern": "redis-server"}, wantErr: "kill: param start: required with pidfile or pattern"},
		"kill two selectors":       {kind: "kill", params: map[string]string{"unit": "a", "pidfile": "/run/a.pid"}, wantErr: "kill: param unit and pidfile: give only one of unit, pidfile or pattern"},
		"pidfile and pattern":      {kind: "pause", params: map[string]string{"pidfile": "/run/a.pid", "pattern": "redis"}, wantErr: "pause: param pidfile and pattern: give only one of unit, pidfile or pattern"},
		"pause has no start":       {kind: "pause", params: map[string]string{"pattern": "x", "start": "y"}, wantErr: `pause: unknown param "start"`},
		"stop by unit":             {kind: "stop", params: map[string]string{"unit": "kafka"}},
		"unknown kind":             {kind: "meteor", wantErr: `unknown fault kind "meteor" (known: latency, loss, partition, bandwidth, slicer, limit-data, disk-fill, clock-drift, kill, pause, stop)`},
		"newline in value":         {kind: "latency", params: map[string]string{"delay": "1s\nrm -rf /"}, wantErr: `is not a duration`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFault(tc.kind, tc.params)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseFault: %v", err)
				}
				if f.Kind() != tc.kind {
					t.Errorf("Kind() = %q, want %q", f.Kind(), tc.kind)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseFault succeeded, want error containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
		})
	}
}

func TestParseBytes(t *testing.T) {
	tests := map[string]struct {
		in   string
		want int64
		bad  bool
	}{
		"plain":   {in: "4096", want: 4096},
		"GiB":     {in: "1GiB", want: 1 << 30},
		"GB":      {in: "1GB", want: 1e9},
		"k":       {in: "64k", want: 64 << 10},
		"decimal": {in: "1.5MiB", want: 3 << 19},
		"unit":    {in: "1XB", bad: true},
		"neg":     {in: "-1", bad: true},
		"empty":   {in: "", bad: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseBytes(tc.in)
			if tc.bad != (err != nil) {
				t.Fatalf("ParseBytes(%q) error = %v, want bad=%v", tc.in, err, tc.bad)
			}
			if !tc.bad && got != tc.want {
				t.Errorf("ParseBytes(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}
