package timeline

import (
	"regexp"
	"strings"
)

// secretKeyParts are fragments of Data keys whose values must never reach a
// journal or an export. Producers should not record secrets at all; this is
// the second line of defence for when one slips through.
var secretKeyParts = []string{
	"password", "passwd", "secret", "token", "credential",
	"identity", "key_path", "keypath", "key_file", "keyfile",
	"private_key", "privatekey", "api_key", "apikey", "passphrase",
}

// IsSecretKey reports whether a Data key looks like it holds a secret or the
// path of one (an SSH identity file).
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// Redact returns data without secret-looking keys, at any depth. The input is
// never modified (subscribers share it); when nothing needs dropping it is
// returned as is.
func Redact(data map[string]any) map[string]any {
	if !needsRedact(data) {
		return data
	}
	out, _ := redactValue(data).(map[string]any)
	return out
}

func needsRedact(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if IsSecretKey(k) || needsRedact(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if needsRedact(x) {
				return true
			}
		}
	case map[string]string:
		for k := range v {
			if IsSecretKey(k) {
				return true
			}
		}
	}
	return false
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			if !IsSecretKey(k) {
				m[k] = redactValue(x)
			}
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = redactValue(x)
		}
		return s
	case map[string]string:
		m := make(map[string]string, len(v))
		for k, x := range v {
			if !IsSecretKey(k) {
				m[k] = x
			}
		}
		return m
	}
	return v
}

// Text patterns scrubbed from free text (summaries, notes, values) in
// exports: "password=…"-style assignments and SSH identity file paths.
var (
	secretAssign = regexp.MustCompile(`(?i)\b(password|passwd|secret|token)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)`)
	redisAuth    = regexp.MustCompile(`(?i)\b(requirepass|masterauth)(\s+)("[^"]*"|'[^']*'|\S+)`)
	identityPath = regexp.MustCompile(`\S*(/\.ssh/|\bid_(rsa|ecdsa|ed25519|dsa)\b)\S*`)
)

// ScrubText replaces secret assignments and identity file paths in free text
// with "[redacted]".
func ScrubText(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	s = secretAssign.ReplaceAllString(s, "$1$2[redacted]")
	s = redisAuth.ReplaceAllString(s, "$1$2[redacted]")
	return identityPath.ReplaceAllString(s, "[redacted]")
}

// scrubTriggers are substrings without which neither pattern can match;
// checking them first keeps a 10k-event export from running the regular
// expressions on every summary.
var scrubTriggers = []string{"passw", "secret", "token", "requirepass", "masterauth", "/.ssh/", "id_"}

func mayHoldSecret(s string) bool {
	if s == "" {
		return false
	}
	lower := strings.ToLower(s)
	for _, t := range scrubTriggers {
		if strings.Contains(lower, t) {
			return true
		}
	}
	return false
}
