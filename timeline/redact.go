package timeline

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
)

// secretKeyParts are fragments of data keys whose values must never reach a
// journal, a screen or an export. Producers should not record secrets at
// all; redaction is the second line of defence for when one slips through.
var secretKeyParts = []string{
	"password", "passwd", "secret", "token", "credential",
	"identity", "key_path", "keypath", "key_file", "keyfile",
	"private_key", "privatekey", "api_key", "apikey", "passphrase",
}

// IsSecretKey reports whether a data key (or a fault parameter's name)
// looks like it holds a secret or the path of one (an SSH identity file).
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// Text patterns scrubbed from free text (summaries, notes, parameter
// values, error messages): assignments and flags that carry a secret,
// Redis AUTH, credentials in URLs, bearer tokens and SSH identity files.
var (
	secretAssign = regexp.MustCompile(`(?i)\b([a-z0-9_.-]*(?:password|passwd|passphrase|secret|token|apikey|api_key|api-key|credential)[a-z0-9_.-]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s'"]+)`)
	secretFlag   = regexp.MustCompile(`(?i)(\s|^)(--?(?:password|passwd|pass|pwd|secret|token|auth|api-key|requirepass|masterauth)|requirepass|masterauth)(\s+|=)("[^"]*"|'[^']*'|[^\s'"]+)`)
	redisCLIAuth = regexp.MustCompile(`(\bredis-cli\b[^|;&\n]*?\s-a\s+)("[^"]*"|'[^']*'|[^\s'"]+)`)
	redisAUTH    = regexp.MustCompile(`\bAUTH(\s+)("[^"]*"|'[^']*'|[^\s'"]+)((\s+)("[^"]*"|'[^']*'|[^\s"']+))?`)
	urlUserinfo  = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)`)
	bearer       = regexp.MustCompile(`(?i)\b(bearer\s+)([A-Za-z0-9._~+/=-]{8,})`) // a token, not "bearer token"
	identityPath = regexp.MustCompile(`\S*(/\.ssh/|\bid_(rsa|ecdsa|ed25519|dsa)\b)\S*`)
)

// Redacted replaces a secret in text.
const Redacted = "[redacted]"

// ScrubText replaces secrets in free text with "[redacted]". It is
// idempotent and cheap on text that holds none of its trigger words.
func ScrubText(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	s = secretAssign.ReplaceAllString(s, "$1$2"+Redacted)
	s = secretFlag.ReplaceAllString(s, "$1$2$3"+Redacted)
	s = redisCLIAuth.ReplaceAllString(s, "$1"+Redacted)
	s = redisAUTH.ReplaceAllStringFunc(s, scrubAUTH)
	s = urlUserinfo.ReplaceAllString(s, "$1"+Redacted+"$3")
	s = bearer.ReplaceAllString(s, "$1"+Redacted)
	return identityPath.ReplaceAllString(s, Redacted)
}

// scrubAUTH redacts both words after Redis's AUTH: "AUTH password" and
// "AUTH user password" cannot be told apart in free text, and a user name
// lost is better than a password shown.
func scrubAUTH(m string) string {
	sub := redisAUTH.FindStringSubmatch(m)
	if sub[3] != "" {
		return "AUTH" + sub[1] + Redacted + sub[4] + Redacted
	}
	return "AUTH" + sub[1] + Redacted
}

// scrubTriggers are substrings (matched ignoring ASCII case) without which
// no pattern can match; checking them first keeps redaction off the
// regular expressions for almost every event.
var scrubTriggers = []string{"pass", "pwd", "secret", "token", "apikey", "api_key", "api-key",
	"credential", "auth", "://", "bearer", "/.ssh/", "id_", "redis-cli"}

func mayHoldSecret(s string) bool {
	if len(s) < 3 {
		return false
	}
	// Lower-case a copy (on the stack for the usual short text), then let
	// the runtime's vectorised search look for each trigger.
	var buf [256]byte
	var lower []byte
	if len(s) <= len(buf) {
		lower = buf[:len(s)]
	} else {
		lower = make([]byte, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for _, t := range triggerBytes {
		if bytes.Contains(lower, t) {
			return true
		}
	}
	return false
}

var triggerBytes = func() [][]byte {
	out := make([][]byte, len(scrubTriggers))
	for i, t := range scrubTriggers {
		out[i] = []byte(t)
	}
	return out
}()

// Redact returns data without secret-looking keys, at any depth, and with
// every string scrubbed. The input is never modified (subscribers share
// it); when nothing needs changing it is returned as is.
func Redact(data map[string]any) map[string]any {
	v, changed := scrubValue(reflect.ValueOf(data))
	if !changed {
		return data
	}
	out, _ := v.Interface().(map[string]any)
	return out
}

// redact scrubs e in place (its Data and maps are replaced by scrubbed
// copies when they hold a secret, never modified): what Record does to
// every event before anyone sees it, and the journal reader to every
// event it loads, so that older journals are shown under the same rules.
func (e *Event) redact() {
	if e.redacted {
		return
	}
	e.Source, e.Host, e.Summary, e.By = ScrubText(e.Source), ScrubText(e.Host), ScrubText(e.Summary), ScrubText(e.By)
	if r, ok := e.Data.(*Reading); ok && readingIsClean(r) {
		// The common case, a probe window, without reflection.
	} else if e.Data != nil {
		if v, changed := scrubValue(reflect.ValueOf(e.Data)); changed {
			e.Data = v.Interface()
		}
	}
	e.UnknownData = redactRaw(e.UnknownData)
	e.UnknownFields = redactRaw(e.UnknownFields)
	e.redacted = true
}

// readingIsClean tells a reading that holds nothing to redact.
func readingIsClean(r *Reading) bool {
	for _, s := range [...]string{r.Probe, r.Target, string(r.Status), r.Unit, r.Threshold, r.Detail, r.Master} {
		if mayHoldSecret(s) {
			return false
		}
	}
	for k := range r.ErrorClasses {
		if IsSecretKey(k) || mayHoldSecret(k) {
			return false
		}
	}
	return true
}

// redactRaw drops secret keys from raw members and scrubs the strings in
// the values that may hold a secret.
func redactRaw(m map[string]json.RawMessage) map[string]json.RawMessage {
	var out map[string]json.RawMessage
	for k, raw := range m {
		keep, secretKey := raw, IsSecretKey(k)
		if !secretKey && mayHoldSecret(string(raw)) {
			var v any
			if json.Unmarshal(raw, &v) == nil {
				if sv, changed := scrubValue(reflect.ValueOf(v)); changed {
					keep, _ = json.Marshal(sv.Interface())
				}
			}
		}
		if !secretKey && string(keep) == string(raw) {
			continue
		}
		if out == nil {
			out = make(map[string]json.RawMessage, len(m))
			for k2, r2 := range m {
				out[k2] = r2
			}
		}
		if secretKey {
			delete(out, k)
		} else {
			out[k] = keep
		}
	}
	if out == nil {
		return m
	}
	return out
}

// scrubValue walks v and returns a copy without secret map keys and with
// every string scrubbed, and whether anything changed; when nothing did,
// it returns v itself and allocates nothing.
func scrubValue(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if t := ScrubText(s); t != s {
			n := reflect.New(v.Type()).Elem()
			n.SetString(t)
			return n, true
		}
	case reflect.Pointer:
		if v.IsNil() {
			break
		}
		if e, changed := scrubValue(v.Elem()); changed {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(e)
			return p, true
		}
	case reflect.Interface:
		if v.IsNil() {
			break
		}
		if e, changed := scrubValue(v.Elem()); changed {
			n := reflect.New(v.Type()).Elem()
			n.Set(e)
			return n, true
		}
	case reflect.Struct:
		var out reflect.Value
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if f, changed := scrubValue(v.Field(i)); changed {
				if !out.IsValid() {
					out = reflect.New(v.Type()).Elem()
					out.Set(v)
				}
				out.Field(i).Set(f)
			}
		}
		if out.IsValid() {
			return out, true
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			break
		}
		var out reflect.Value
		for i := range v.Len() {
			if e, changed := scrubValue(v.Index(i)); changed {
				if !out.IsValid() {
					out = copySeq(v)
				}
				out.Index(i).Set(e)
			}
		}
		if out.IsValid() {
			return out, true
		}
	case reflect.Map:
		if v.IsNil() || v.Type().Key().Kind() != reflect.String {
			break
		}
		var out reflect.Value
		for it := v.MapRange(); it.Next(); {
			k := it.Key()
			secret := IsSecretKey(k.String())
			nk, kChanged := scrubValue(k)
			nv, vChanged := scrubValue(it.Value())
			if !secret && !kChanged && !vChanged {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeMapWithSize(v.Type(), v.Len())
				for it2 := v.MapRange(); it2.Next(); {
					out.SetMapIndex(it2.Key(), it2.Value())
				}
			}
			out.SetMapIndex(k, reflect.Value{}) // delete
			if !secret {
				out.SetMapIndex(nk, nv)
			}
		}
		if out.IsValid() {
			return out, true
		}
	}
	return v, false
}

func copySeq(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Array {
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		return out
	}
	out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(out, v)
	return out
}
