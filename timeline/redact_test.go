package timeline

import (
	"reflect"
	"testing"
)

func TestScrubText(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain text":             {"redis.latency redis ok: p99 1.2ms", "redis.latency redis ok: p99 1.2ms"},
		"password assignment":    {"connect with password=hunter2 now", "connect with password=[redacted] now"},
		"quoted token":           {`TOKEN: "a b c" done`, `TOKEN: [redacted] done`},
		"redis requirepass":      {"CONFIG SET requirepass s3cr3t", "CONFIG SET requirepass [redacted]"},
		"identity path":          {"ssh -i /root/.ssh/id_ed25519 host", "ssh -i [redacted] host"},
		"bare key name":          {"key id_rsa.pub copied", "key [redacted] copied"},
		"words that only start":  {"tokens were counted, secrets none", "tokens were counted, secrets none"},
		"env assignment":         {"PGPASSWORD=hunter2 psql", "PGPASSWORD=[redacted] psql"},
		"flag in a quoted start": {`sh -c 'redis-server --port 6379 --requirepass hunter2'`, `sh -c 'redis-server --port 6379 --requirepass [redacted]'`},
		"flag with =":            {"app --password=hunter2 --verbose", "app --password=[redacted] --verbose"},
		"redis-cli -a":           {"redis-cli -h 10.0.0.1 -a hunter2 SHUTDOWN", "redis-cli -h 10.0.0.1 -a [redacted] SHUTDOWN"},
		"redis AUTH user pass":   {"AUTH default hunter2", "AUTH [redacted] [redacted]"},
		"redis AUTH pass":        {"sent AUTH hunter2", "sent AUTH [redacted]"},
		"url userinfo":           {"dial redis://:hunter2@10.0.0.1:6379/0 refused", "dial redis://:[redacted]@10.0.0.1:6379/0 refused"},
		"bearer":                 {"Authorization: Bearer abc.def-123", "Authorization: Bearer [redacted]"},
		"the words bearer token": {"401: no or bad bearer token", "401: no or bad bearer token"},
		"no secret in NOAUTH":    {"NOAUTH Authentication required.", "NOAUTH Authentication required."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ScrubText(tc.in); got != tc.want {
				t.Errorf("ScrubText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]struct{ in, want map[string]any }{
		"nothing secret is returned as is": {
			in:   map[string]any{"delay": "5s"},
			want: map[string]any{"delay": "5s"},
		},
		"nested keys at any depth": {
			in: map[string]any{
				"Password": "x", "hosts": []any{map[string]any{"name": "h", "identity_file": "/k"}},
				"params": map[string]string{"api_key": "k", "delay": "1s"},
			},
			want: map[string]any{
				"hosts":  []any{map[string]any{"name": "h"}},
				"params": map[string]string{"delay": "1s"},
			},
		},
		"nil": {in: nil, want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Redact(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Redact = %#v, want %#v", got, tc.want)
			}
		})
	}
}
